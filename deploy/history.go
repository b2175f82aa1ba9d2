package deploy

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// LabelHistory marks the ConfigMaps that record deploys; its value is the
// revision.
const LabelHistory = "kumeo.dev/revision"

// HistoryLimit is how many deploys are kept per workflow.
const HistoryLimit = 10

const recordKey = "record.json.gz"

// Revision is one recorded deploy.
type Revision struct {
	Revision int       `json:"revision"`
	Time     time.Time `json:"time"`
	File     string    `json:"file"`
	// Source is the workflow text that was deployed.
	Source string `json:"source"`
	// Images are the images the agents ran, by agent id.
	Images map[string]string `json:"images"`
	// Summary counts the objects created, updated and pruned.
	Summary map[Action]int `json:"summary"`
	// Objects are the applied objects; a Secret keeps its keys, never its
	// values (a rollback reuses the values in the cluster).
	Objects []map[string]any `json:"objects"`

	object string // the ConfigMap holding it
}

// record stores the deploy as the next revision and drops the oldest
// beyond HistoryLimit.
func (c *Cluster) record(ctx context.Context, p *Plan, cs *ChangeSet) (int, error) {
	prev, err := c.history(ctx, p.Workflow, p.Namespace)
	if err != nil {
		return 0, err
	}
	rev := 1
	if len(prev) > 0 {
		rev = prev[len(prev)-1].Revision + 1
	}
	r := Revision{Revision: rev, Time: time.Now().UTC().Truncate(time.Second), File: p.File, Source: string(p.Source),
		Images: map[string]string{}, Summary: cs.Counts()}
	for _, u := range p.Objects {
		if u.GetKind() == "Deployment" {
			if img, ok := firstImage(u); ok {
				r.Images[p.agentOf(u)] = img
			}
		}
		r.Objects = append(r.Objects, redacted(u).Object)
	}
	data, err := gzipJSON(r)
	if err != nil {
		return 0, err
	}
	name := p.Workflow + "-deploy-" + strconv.Itoa(rev)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: p.Namespace, Labels: map[string]string{
		LabelName: "kumeo", LabelInstance: p.Workflow, LabelComponent: "history", LabelManagedBy: ManagedBy,
		LabelWorkflow: p.Workflow, LabelHistory: strconv.Itoa(rev)}},
		BinaryData: map[string][]byte{recordKey: data}}
	if _, err := c.Client.CoreV1().ConfigMaps(p.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		return 0, c.clusterError("create", "configmap", p.Namespace, name, err)
	}
	for i := 0; i < len(prev)+1-HistoryLimit; i++ {
		err := c.Client.CoreV1().ConfigMaps(p.Namespace).Delete(ctx, prev[i].object, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return 0, c.clusterError("delete", "configmap", p.Namespace, prev[i].object, err)
		}
	}
	return rev, nil
}

func firstImage(u *unstructured.Unstructured) (string, bool) {
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		return "", false
	}
	m, _ := cs[0].(map[string]any)
	img, ok := m["image"].(string)
	return img, ok
}

// redacted is u with a Secret's values emptied.
func redacted(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u.GetKind() != "Secret" {
		return u
	}
	out := u.DeepCopy()
	for _, f := range []string{"data", "stringData"} {
		if m, ok := out.Object[f].(map[string]any); ok {
			for k := range m {
				m[k] = ""
			}
		}
	}
	return out
}

func gzipJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// History returns the recorded deploys of a workflow, oldest first.
func (c *Cluster) History(ctx context.Context, workflow, namespace string) ([]Revision, error) {
	return c.history(ctx, workflow, namespace)
}

func (c *Cluster) history(ctx context.Context, workflow, namespace string) ([]Revision, error) {
	list, err := c.Client.CoreV1().ConfigMaps(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: LabelWorkflow + "=" + workflow + "," + LabelHistory})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, c.clusterError("list", "configmaps", namespace, "", err)
	}
	var out []Revision
	for _, cm := range list.Items {
		r, err := decodeRecord(cm.BinaryData[recordKey])
		if err != nil {
			return nil, fmt.Errorf("deploy record %s in namespace %s: %w", cm.Name, namespace, err)
		}
		r.object = cm.Name
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

func decodeRecord(data []byte) (Revision, error) {
	var r Revision
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return r, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return r, err
	}
	return r, json.Unmarshal(b, &r)
}

// Rollback applies the objects of a recorded revision again (to = 0: the
// one before the latest) and records that as a new revision. Secrets keep
// the values the cluster has; a key the old revision needs and the
// cluster no longer holds is an error.
func (c *Cluster) Rollback(ctx context.Context, workflow, namespace string, to int, progress Progress) (*Result, *Revision, error) {
	hist, err := c.history(ctx, workflow, namespace)
	if err != nil {
		return nil, nil, err
	}
	if to == 0 && len(hist) >= 2 {
		to = hist[len(hist)-2].Revision
	}
	var rev *Revision
	for i := range hist {
		if hist[i].Revision == to {
			rev = &hist[i]
		}
	}
	if rev == nil {
		return nil, nil, fmt.Errorf("%w: revision %d of workflow %s in namespace %s; expected one of %s", ErrNoHistory, to, workflow, namespace, revisions(hist))
	}
	p := &Plan{Workflow: workflow, Namespace: namespace, File: rev.File, Source: []byte(rev.Source), agentIDs: map[string]string{}}
	for id := range rev.Images {
		p.agentIDs[dnsName(id)] = id
	}
	for _, o := range rev.Objects {
		u := &unstructured.Unstructured{Object: o}
		if u.GetKind() == "Secret" {
			if err := c.restoreSecret(ctx, u); err != nil {
				return nil, rev, err
			}
		}
		p.Objects = append(p.Objects, u)
	}
	res, err := c.Apply(ctx, p, progress)
	return res, rev, err
}

// restoreSecret fills a recorded Secret's emptied values from the cluster.
func (c *Cluster) restoreSecret(ctx context.Context, u *unstructured.Unstructured) error {
	live, err := c.Client.CoreV1().Secrets(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
	if err != nil {
		return c.clusterError("get", "secret", u.GetNamespace(), u.GetName(), err)
	}
	data, _ := u.Object["data"].(map[string]any)
	for k := range data {
		v, ok := live.Data[k]
		if !ok {
			return fmt.Errorf("deploy: rollback needs key %s of secret %s in namespace %s, which the cluster no longer has; expected it set again (deploy the current file first)", k, u.GetName(), u.GetNamespace())
		}
		data[k] = base64.StdEncoding.EncodeToString(v)
	}
	return nil
}

func revisions(h []Revision) string {
	if len(h) == 0 {
		return "none: the workflow has no recorded deploy"
	}
	s := ""
	for i, r := range h {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(r.Revision)
	}
	return s
}
