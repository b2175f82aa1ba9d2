package deploy

import (
	"bufio"
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LogLine is one line a pod wrote.
type LogLine struct {
	Agent string `json:"agent"`
	Pod   string `json:"pod"`
	Line  string `json:"line"`
}

// FollowLogs streams the logs of the pods of the given agents that start
// while ctx runs (a deploy's new pods), line by line to fn, as kapp's
// --logs does. Pods that exist when it starts are skipped unless all is
// set: since is when the deploy began (pods created a second or more
// before it are skipped). It returns when ctx ends and every stream has
// closed.
func (c *Cluster) FollowLogs(ctx context.Context, p *Plan, agents []string, all bool, since time.Time, fn func(LogLine)) {
	want := map[string]bool{}
	for _, a := range agents {
		want[dnsName(a)] = true
	}
	seen := map[string]bool{}
	if !all {
		for _, pod := range c.agentPods(ctx, p) {
			if pod.CreationTimestamp.Time.Before(since.Add(-time.Second)) {
				seen[pod.Name] = true
			}
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	emit := func(l LogLine) { mu.Lock(); defer mu.Unlock(); fn(l) }
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, pod := range c.agentPods(ctx, p) {
			label := pod.Labels[LabelAgent]
			if seen[pod.Name] || !want[label] || pod.Status.Phase != corev1.PodRunning {
				continue
			}
			seen[pod.Name] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.streamLog(ctx, pod, p.agentOfLabels(pod.Labels), emit)
			}()
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-tick.C:
		}
	}
}

func (c *Cluster) agentPods(ctx context.Context, p *Plan) []corev1.Pod {
	pods, err := c.Client.CoreV1().Pods(p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelWorkflow + "=" + p.Workflow + "," + LabelAgent})
	if err != nil {
		return nil
	}
	return pods.Items
}

func (c *Cluster) streamLog(ctx context.Context, pod corev1.Pod, agent string, emit func(LogLine)) {
	rc, err := c.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		return
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		emit(LogLine{Agent: agent, Pod: pod.Name, Line: sc.Text()})
	}
}
