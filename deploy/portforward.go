package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// Forward is a local port forwarded to a pod through the API server.
type Forward struct {
	// Addr is the local address ("127.0.0.1:PORT").
	Addr string
	// Pod is the pod it reaches.
	Pod  string
	done chan struct{}
	stop context.CancelFunc
	err  error
}

// Done is closed when the forward ends (the pod went away, the API server
// closed the stream, or Close); Err then says why.
func (f *Forward) Done() <-chan struct{} { return f.done }

// Err is why the forward ended; nil while it runs or after Close.
func (f *Forward) Err() error { return f.err }

// Close ends the forward.
func (f *Forward) Close() { f.stop(); <-f.done }

// PortForward forwards a random local port to port of pod in ns, as
// kubectl port-forward does: the connection goes through the API server,
// so it works wherever the API server is reachable.
func (c *Cluster) PortForward(ctx context.Context, ns, pod string, port int) (*Forward, error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return nil, err
	}
	u := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	fctx, stop := context.WithCancel(ctx)
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddressesWithContext(fctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, ready, io.Discard, io.Discard)
	if err != nil {
		stop()
		return nil, err
	}
	f := &Forward{Pod: pod, done: make(chan struct{}), stop: stop}
	go func() {
		defer close(f.done)
		if err := pf.ForwardPorts(); err != nil && fctx.Err() == nil {
			f.err = c.clusterError("create", "pods/portforward", ns, pod, err)
		}
	}()
	select {
	case <-ready:
	case <-f.done:
		stop()
		return nil, fmt.Errorf("port-forward to pod %s in namespace %s: %w", pod, ns, f.err)
	case <-ctx.Done():
		stop()
		<-f.done
		return nil, ctx.Err()
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) == 0 {
		f.Close()
		return nil, fmt.Errorf("port-forward to pod %s: no local port: %v", pod, err)
	}
	f.Addr = "127.0.0.1:" + strconv.Itoa(int(ports[0].Local))
	return f, nil
}

// readyPod returns a running, ready pod matching the selector.
func (c *Cluster) readyPod(ctx context.Context, ns, selector string) (string, error) {
	pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return "", c.clusterError("list", "pods", ns, "", err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
			continue
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
				return p.Name, nil
			}
		}
	}
	return "", fmt.Errorf("no ready pod with labels %s in namespace %s", selector, ns)
}
