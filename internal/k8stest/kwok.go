package k8stest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const kwokAnnotation = "kwok.x-k8s.io/node"

// kwokConfig is kwok's configuration: the stock node and pod stages
// shipped beside the binary, then port-forward and log settings.
func (c *Cluster) kwokConfig(bin string, opts Options) (string, error) {
	stages, err := filepath.Glob(filepath.Join(bin, "stages", "*.yaml"))
	if err != nil || len(stages) == 0 {
		return "", fmt.Errorf("no kwok stages in %s/stages (run make k8s-test-bins): %v", bin, err)
	}
	sort.Strings(stages)
	var docs []string
	for _, s := range stages {
		b, err := os.ReadFile(s)
		if err != nil {
			return "", err
		}
		docs = append(docs, strings.TrimSpace(string(b)))
	}
	if len(opts.PortForwards) > 0 {
		var fw strings.Builder
		fw.WriteString("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterPortForward\nmetadata:\n  name: forwards\nspec:\n  forwards:\n")
		ports := make([]int, 0, len(opts.PortForwards))
		for p := range opts.PortForwards {
			ports = append(ports, int(p))
		}
		sort.Ints(ports)
		for _, p := range ports {
			host, port, ok := strings.Cut(opts.PortForwards[int32(p)], ":")
			if !ok {
				return "", fmt.Errorf("port forward %d: address %q; expected host:port", p, opts.PortForwards[int32(p)])
			}
			fmt.Fprintf(&fw, "  - ports: [%d]\n    target:\n      address: %q\n      port: %s\n", p, host, port)
		}
		docs = append(docs, fw.String())
	}
	if len(opts.PodLogs) > 0 {
		// kwok reads logs in the container runtime's format.
		var b strings.Builder
		for _, l := range opts.PodLogs {
			fmt.Fprintf(&b, "2026-01-01T00:00:00.000000000Z stdout F %s\n", l)
		}
		logs := filepath.Join(c.dir, "pod.log")
		if err := os.WriteFile(logs, []byte(b.String()), 0o600); err != nil {
			return "", err
		}
		docs = append(docs, fmt.Sprintf("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: ClusterLogs\nmetadata:\n  name: logs\nspec:\n  logs:\n  - logsFile: %q\n    previousLogsFile: %q\n    follow: false\n", logs, logs))
	}
	path := filepath.Join(c.dir, "kwok.yaml")
	return path, os.WriteFile(path, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o600)
}

func (c *Cluster) startKwok(bin string, p *pki, port int, opts Options) error {
	cfg, err := c.kwokConfig(bin, opts)
	if err != nil {
		return err
	}
	if err := c.run("kwok", filepath.Join(bin, "kwok"), "--kubeconfig", c.Kubeconfig, "--config", cfg,
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector", kwokAnnotation+"=fake",
		"--node-ip", "127.0.0.1", "--node-port", strconv.Itoa(port), "--cidr", "10.244.0.0/16",
		"--tls-cert-file", p.certFile, "--tls-private-key-file", p.keyFile); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(c.restConfig("admin"))
	if err != nil {
		return err
	}
	c.Config, c.Client = c.restConfig("admin"), cs
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.createNode(ctx); err != nil {
		return err
	}
	return c.createVolumes(ctx, 6)
}

func (c *Cluster) createNode(ctx context.Context) error {
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("500"),
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: NodeName, Annotations: map[string]string{kwokAnnotation: "fake"},
			Labels: map[string]string{"kubernetes.io/hostname": NodeName, "kubernetes.io/os": "linux", "type": "kwok"}},
		Status: corev1.NodeStatus{Capacity: res, Allocatable: res},
	}
	_, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	return err
}

// createVolumes makes n persistent volumes without a storage class, so
// claims such as a StatefulSet's bind (the cluster has no provisioner).
func (c *Cluster) createVolumes(ctx context.Context, n int) error {
	for i := range n {
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: "pv-" + strconv.Itoa(i)},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: filepath.Join(c.dir, "pv", strconv.Itoa(i))}},
			},
		}
		if _, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// waitReady waits for the node to be Ready and the default namespace's
// service account, which pods need, to exist.
func (c *Cluster) waitReady(ctx context.Context) error {
	for {
		if err := c.exited(); err != nil {
			return err
		}
		ok, err := c.ready(ctx)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %v (last: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) ready(ctx context.Context) (bool, error) {
	n, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	nodeReady := false
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			nodeReady = true
		}
	}
	if !nodeReady {
		return false, fmt.Errorf("node %s not Ready", NodeName)
	}
	if _, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return false, fmt.Errorf("no default service account yet")
		}
		return false, err
	}
	return true, nil
}
