// Package k8stest starts a real Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler on loopback
// with random ports, and kwok, which registers a node and plays the pod
// lifecycle (pods become Ready without running containers) and forwards
// port-forward requests to local addresses.
//
// The binaries are built once per machine by `make k8s-test-bins`; the
// directory holding them is named by KUMEO_K8S_BIN. Without it, Start
// skips the test, so a plain `go test ./...` passes on a machine without
// them; `make test` sets it and the tests run for real.
package k8stest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// EnvBin names the directory holding kube-apiserver,
// kube-controller-manager, kube-scheduler, kwok and kwok's stage files.
const EnvBin = "KUMEO_K8S_BIN"

// EnvEtcd overrides where etcd is found (default: etcd on PATH).
const EnvEtcd = "KUMEO_ETCD"

// NodeName is the name of the cluster's one (kwok) node.
const NodeName = "kwok-node-0"

// Context is the kubeconfig context of the admin user.
const Context = "kumeo-test"

// Options configure a cluster.
type Options struct {
	// PortForwards sends port-forward connections to a pod port to a local
	// address ("127.0.0.1:4222"), for every pod.
	PortForwards map[int32]string
	// Users are extra users, each authenticated by a token of its own and
	// with no permission until a test binds a role to it.
	Users []string
	// PodLogs are the lines every container's log holds.
	PodLogs []string
}

// Cluster is a running control plane.
type Cluster struct {
	// Kubeconfig is a file with the admin user in context Context.
	Kubeconfig string
	// Config and Client are the admin user's.
	Config *rest.Config
	Client kubernetes.Interface

	dir    string
	server string
	caPEM  []byte
	tokens map[string]string
	procs  []*proc
}

// Start starts a cluster and stops it when the test ends. It skips the
// test when EnvBin is unset and fails it when a binary is missing or the
// cluster does not become ready.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		t.Skipf("%s is not set: no Kubernetes test binaries (make k8s-test-bins builds them; make test sets it)", EnvBin)
	}
	c, err := start(t.TempDir(), bin, opts)
	if c != nil {
		t.Cleanup(func() {
			if t.Failed() {
				c.dumpLogs(t)
			}
			c.stop()
		})
	}
	if err != nil {
		t.Fatalf("k8stest: %v", err)
	}
	return c
}

// New starts a cluster outside a test (a browser test's server), keeping
// its files under dir; Stop ends it. The binaries are in $KUMEO_K8S_BIN.
func New(dir string, opts Options) (*Cluster, error) {
	bin := os.Getenv(EnvBin)
	if bin == "" {
		return nil, fmt.Errorf("%s is not set: no Kubernetes test binaries (make k8s-test-bins builds them)", EnvBin)
	}
	c, err := start(dir, bin, opts)
	if err != nil && c != nil {
		c.stop()
	}
	return c, err
}

// Stop ends the cluster's processes.
func (c *Cluster) Stop() { c.stop() }

func start(dir, bin string, opts Options) (*Cluster, error) {
	c := &Cluster{dir: dir, tokens: map[string]string{"admin": "admin-token"}}
	for _, u := range opts.Users {
		c.tokens[u] = u + "-token"
	}
	p, err := newPKI(dir)
	if err != nil {
		return c, err
	}
	c.caPEM = p.caPEM
	ports, err := freePorts(5)
	if err != nil {
		return c, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := c.startEtcd(etcdURL, ports[1]); err != nil {
		return c, err
	}
	c.server = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := c.startAPIServer(bin, p, etcdURL, ports[2]); err != nil {
		return c, err
	}
	if c.Kubeconfig, err = c.KubeconfigFor("admin"); err != nil {
		return c, err
	}
	if err := c.startControllers(bin, p); err != nil {
		return c, err
	}
	if err := c.startKwok(bin, p, ports[3], opts); err != nil {
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return c, c.waitReady(ctx)
}

func (c *Cluster) startEtcd(clientURL string, peerPort int) error {
	etcd := os.Getenv(EnvEtcd)
	if etcd == "" {
		var err error
		if etcd, err = exec.LookPath("etcd"); err != nil {
			return fmt.Errorf("etcd not found on PATH (Debian package etcd-server; or set %s): %w", EnvEtcd, err)
		}
	}
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	if err := c.run("etcd", etcd, "--name", "test", "--data-dir", filepath.Join(c.dir, "etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "test="+peer, "--log-level", "warn", "--quota-backend-bytes", "1073741824"); err != nil {
		return err
	}
	return waitHTTP(http.DefaultClient, clientURL+"/health", 30*time.Second)
}

func (c *Cluster) startAPIServer(bin string, p *pki, etcdURL string, port int) error {
	tokens := filepath.Join(c.dir, "tokens.csv")
	var b strings.Builder
	for user, tok := range c.tokens {
		groups := ""
		if user == "admin" {
			groups = `,"system:masters"`
		}
		fmt.Fprintf(&b, "%s,%s,%s%s\n", tok, user, user, groups)
	}
	if err := os.WriteFile(tokens, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if err := c.run("kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", etcdURL, "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port), "--tls-cert-file", p.certFile, "--tls-private-key-file", p.keyFile,
		"--token-auth-file", tokens, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", p.saPub,
		"--service-account-signing-key-file", p.saKey, "--service-cluster-ip-range", "10.96.0.0/16",
		"--allow-privileged", "--profiling=false", "--enable-priority-and-fairness=false",
		"--kubelet-preferred-address-types", "InternalIP", "--v", "1"); err != nil {
		return err
	}
	cfg := c.restConfig("admin")
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	return waitHTTP(&http.Client{Transport: hc.Transport, Timeout: 5 * time.Second}, c.server+"/readyz", 60*time.Second)
}

// startControllers starts the controller manager and the scheduler. kwok's
// node sends no heartbeats: with the default grace period (40 s) the node
// lifecycle controller would mark it unreachable and taint it, and no new
// pod would be scheduled on a cluster older than that.
func (c *Cluster) startControllers(bin string, p *pki) error {
	if err := c.run("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig", c.Kubeconfig, "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", "0",
		"--service-account-private-key-file", p.saKey, "--root-ca-file", p.caFile,
		"--use-service-account-credentials=false", "--controllers", "*,-nodeipam,-ttl-after-finished", "--node-monitor-grace-period", "24h",
		"--concurrent-deployment-syncs", "10", "--concurrent-replicaset-syncs", "10",
		"--kube-api-qps", "200", "--kube-api-burst", "400", "--v", "1"); err != nil {
		return err
	}
	return c.run("kube-scheduler", filepath.Join(bin, "kube-scheduler"),
		"--kubeconfig", c.Kubeconfig, "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", "0",
		"--kube-api-qps", "200", "--kube-api-burst", "400", "--v", "1")
}

// restConfig is the client configuration of a user.
func (c *Cluster) restConfig(user string) *rest.Config {
	return &rest.Config{Host: c.server, BearerToken: c.tokens[user], QPS: 200, Burst: 400,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.caPEM}}
}

// Server is the API server's URL.
func (c *Cluster) Server() string { return c.server }

// KubeconfigFor writes a kubeconfig whose only context, Context, is the
// given user (admin or one of Options.Users), and returns its path.
func (c *Cluster) KubeconfigFor(user string) (string, error) {
	tok, ok := c.tokens[user]
	if !ok {
		return "", fmt.Errorf("no user %q in the test cluster", user)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["test"] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: c.caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: tok}
	cfg.Contexts[Context] = &clientcmdapi.Context{Cluster: "test", AuthInfo: user}
	cfg.CurrentContext = Context
	path := filepath.Join(c.dir, "kubeconfig-"+user)
	return path, clientcmd.WriteToFile(*cfg, path)
}

// ClientFor is a client of one of Options.Users.
func (c *Cluster) ClientFor(user string) (kubernetes.Interface, error) {
	if _, ok := c.tokens[user]; !ok {
		return nil, fmt.Errorf("no user %q in the test cluster", user)
	}
	return kubernetes.NewForConfig(c.restConfig(user))
}

// proc is one process of the cluster.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func (c *Cluster) run(name, path string, args ...string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w (run make k8s-test-bins)", name, err)
	}
	logPath := filepath.Join(c.dir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); lf.Close(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

// exited reports the first process that has exited.
func (c *Cluster) exited() error {
	for _, p := range c.procs {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %s; its log: %s", p.name, p.cmd.ProcessState, tail(p.log, 20))
		default:
		}
	}
	return nil
}

// stop ends the processes in reverse start order: SIGTERM, then SIGKILL.
func (c *Cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
}

func (c *Cluster) dumpLogs(t testing.TB) {
	for _, p := range c.procs {
		t.Logf("--- %s (last lines) ---\n%s", p.name, tail(p.log, 30))
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func waitHTTP(hc *http.Client, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %v", url, timeout, last)
}
