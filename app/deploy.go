package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/dsl/document"
)

// DeployOptions configure Deploy.
type DeployOptions struct {
	// Emit receives the deploy events; nil drops them.
	Emit Emitter
	// Kubeconfig names the kubeconfig files, as $KUBECONFIG does; empty
	// means $KUBECONFIG, else ~/.kube/config.
	Kubeconfig string
	// Image is the runtime image; empty means the deployment block's
	// registry, else deploy.DefaultImage.
	Image string
	// RolloutTimeout bounds how long a job waits for its rollout; zero
	// means 5 minutes.
	RolloutTimeout time.Duration
	// LookupEnv gives the values of the workflow's ${env.X}; nil means
	// the app's environment.
	LookupEnv func(name string) (string, bool)
	// MetricsInterval between cluster metrics events; zero means 500 ms.
	MetricsInterval time.Duration
}

// callTimeout bounds a call that answers at once (a preview, the status,
// the history).
const callTimeout = 30 * time.Second

// Deploy is the service that deploys documents to a Kubernetes cluster
// (package deploy): it previews the change set of the document's current
// text, runs deploys, rollbacks and undeploys as jobs that stream their
// progress, reads the rollout status and the deploy history, and streams
// the deployed workflow's metrics (WatchMetrics).
type Deploy struct {
	emit Emitter
	ws   *Workspace
	opts DeployOptions

	mu      sync.Mutex
	jobs    map[string]*deployJob
	watches map[string]context.CancelFunc // metrics watches by id
	last    map[string]DeployStatus       // the latest status of each job, finished ones too
	ended   []string                      // finished jobs, oldest first (at most maxEnded)
	seq     int
	closed  bool
	wg      sync.WaitGroup
}

// maxEnded is how many finished jobs JobStatus still knows.
const maxEnded = 20

// deployJob is a running job.
type deployJob struct {
	info      DeployJob
	key       string // context/namespace/workflow: one job at a time each
	cancel    context.CancelFunc
	cancelled bool
}

// NewDeploy returns the Deploy service for the documents of ws.
func NewDeploy(ws *Workspace, opts DeployOptions) *Deploy {
	if opts.Emit == nil {
		opts.Emit = Discard
	}
	if opts.RolloutTimeout <= 0 {
		opts.RolloutTimeout = 5 * time.Minute
	}
	return &Deploy{emit: opts.Emit, ws: ws, opts: opts, jobs: map[string]*deployJob{}, last: map[string]DeployStatus{},
		watches: map[string]context.CancelFunc{}}
}

// Contexts lists the contexts of the kubeconfig and the current one.
func (d *Deploy) Contexts() (ClusterContexts, error) {
	names, current, err := deploy.Contexts(deploy.Target{Kubeconfig: d.opts.Kubeconfig})
	if err != nil {
		return ClusterContexts{}, coded(err)
	}
	return ClusterContexts{Contexts: nonNil(names), Current: current}, nil
}

// target is a document's workflow rendered for a cluster.
type target struct {
	c        *deploy.Cluster
	p        *deploy.Plan
	workflow string // the workflow's name in the file
}

// open connects to t's cluster and renders the document's current text,
// saved or not, for it. A text with errors cannot be deployed.
func (d *Deploy) open(ctx context.Context, t DeployTarget) (*target, error) {
	abs, f, diags, _, err := d.ws.source(t.Path)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, notDeployable(convertDiags(diags.Errors(), document.NewIndex(f.Src)))
	}
	w := f.Workflow(t.Workflow)
	if w == nil {
		return nil, coded(fmt.Errorf("%s: %w %q; expected the name of a workflow block in the file", abs, deploy.ErrNoWorkflow, t.Workflow))
	}
	c, err := deploy.Connect(deploy.Target{Kubeconfig: d.opts.Kubeconfig, Context: t.Context})
	if err != nil {
		return nil, coded(err)
	}
	p, err := c.PlanFor(ctx, f, t.Workflow, deploy.Options{Image: d.opts.Image, Namespace: t.Namespace, LookupEnv: d.opts.LookupEnv})
	if err != nil {
		return nil, coded(err)
	}
	p.File = filepath.Base(abs)
	return &target{c: c, p: p, workflow: w.Name}, nil
}

// notDeployable is the error for a text with errors, in the editor's
// lines and columns.
func notDeployable(diags []Diag) error {
	var b strings.Builder
	b.WriteString("the workflow cannot be deployed while its text has errors:")
	for _, dg := range diags {
		fmt.Fprintf(&b, "\nline %d, column %d: %s [%s]", dg.Line, dg.Col, dg.Summary, dg.Code)
	}
	return &codedError{code: document.NewError(CodeNotDeployable, "not deployable"), err: errors.New(b.String())}
}

// Preview returns what deploying the document's current text would change
// in the cluster: a server-side dry run of every object, compared with
// what the cluster runs, and the objects it would prune.
func (d *Deploy) Preview(t DeployTarget) (DeployPreview, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	tg, err := d.open(ctx, t)
	if err != nil {
		return DeployPreview{}, err
	}
	cs, err := tg.c.Diff(ctx, tg.p)
	if err != nil {
		return DeployPreview{}, coded(err)
	}
	return DeployPreview{Workflow: tg.workflow, Namespace: tg.p.Namespace, Context: tg.c.Context, Server: tg.c.Server,
		Changes: wireChangeSet(cs), Text: cs.String()}, nil
}

// wireChangeSet is cs with empty lists and maps rather than null.
func wireChangeSet(cs *deploy.ChangeSet) DeployChangeSet {
	out := *cs
	out.Changes = nonNil(out.Changes)
	if out.Agents == nil {
		out.Agents = map[string]deploy.Action{}
	}
	return out
}

// Start deploys the document's current text: it applies the change set,
// prunes what the workflow no longer has, records the deploy and waits
// for the rollout, reporting each step with DeployEventName and each
// change of state with DeployStatusEventName. It returns once the job has
// started; Cancel stops it.
func (d *Deploy) Start(t DeployTarget) (DeployJob, error) {
	return d.startJob(JobDeploy, t, func(ctx context.Context, tg *target, progress deploy.Progress) (*deploy.Result, error) {
		return tg.c.Apply(ctx, tg.p, progress)
	})
}

// Rollback restores a recorded deploy (revision 0: the one before the
// latest) of the document's workflow as a new revision, then waits for
// the rollout, as Start does.
func (d *Deploy) Rollback(t DeployTarget, revision int) (DeployJob, error) {
	return d.startJob(JobRollback, t, func(ctx context.Context, tg *target, progress deploy.Progress) (*deploy.Result, error) {
		res, _, err := tg.c.Rollback(ctx, tg.p.Workflow, tg.p.Namespace, revision, progress)
		return res, err
	})
}

// Undeploy deletes every object of the document's workflow from the
// cluster, its history included, as a job.
func (d *Deploy) Undeploy(t DeployTarget) (DeployJob, error) {
	return d.startJob(JobUndeploy, t, func(ctx context.Context, tg *target, progress deploy.Progress) (*deploy.Result, error) {
		return nil, tg.c.Undeploy(ctx, tg.p.Workflow, tg.p.Namespace, progress)
	})
}

type jobFunc func(ctx context.Context, tg *target, progress deploy.Progress) (*deploy.Result, error)

// startJob renders the target and runs fn, then the rollout, on its own.
func (d *Deploy) startJob(kind string, t DeployTarget, fn jobFunc) (DeployJob, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	tg, err := d.open(ctx, t)
	cancel()
	if err != nil {
		return DeployJob{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return DeployJob{}, fmt.Errorf("deploy: %w: the app is closing", ErrNoDeploy)
	}
	key := tg.c.Context + "/" + tg.p.Namespace + "/" + tg.p.Workflow
	for _, j := range d.jobs {
		if j.key == key {
			return DeployJob{}, fmt.Errorf("%w: %s %s of %s in namespace %s on context %s; wait for it or cancel it",
				ErrDeployBusy, j.info.Kind, j.info.ID, tg.workflow, tg.p.Namespace, tg.c.Context)
		}
	}
	d.seq++
	jctx, jcancel := context.WithCancel(context.Background())
	j := &deployJob{key: key, cancel: jcancel,
		info: DeployJob{ID: "d" + strconv.Itoa(d.seq), Kind: kind, Workflow: tg.workflow, Namespace: tg.p.Namespace, Context: tg.c.Context}}
	d.jobs[j.info.ID] = j
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.run(jctx, j, tg, fn)
	}()
	return j.info, nil
}

// run runs a job to its end and reports it.
func (d *Deploy) run(ctx context.Context, j *deployJob, tg *target, fn jobFunc) {
	id := j.info.ID
	status := DeployStatus{ID: id, Kind: j.info.Kind, State: DeployApplying}
	defer func() {
		d.mu.Lock()
		delete(d.jobs, id)
		if j.cancelled && status.State == DeployFailed {
			status.State, status.Code = DeployCancelled, ""
			status.Error = "cancelled: what was applied stays applied (" + status.Error + ")"
		}
		d.ended = append(d.ended, id)
		if len(d.ended) > maxEnded {
			delete(d.last, d.ended[0])
			d.ended = d.ended[1:]
		}
		d.mu.Unlock()
		j.cancel()
		d.report(status)
	}()
	d.report(status)
	progress := func(e deploy.Event) {
		d.emit(DeployEventName(id), DeployEvent{ID: id, Step: e.Step, Change: e.Change, Agent: e.Agent, Message: e.Message})
	}
	res, err := fn(ctx, tg, progress)
	if err != nil {
		status.fail(err)
		return
	}
	if res != nil {
		cs := wireChangeSet(res.Changes)
		status.Revision, status.Changes = res.Revision, &cs
	}
	if j.info.Kind == JobUndeploy {
		status.State = DeployDone
		return
	}
	status.State = DeployRollingOut
	d.report(status)
	wctx, cancel := context.WithTimeout(ctx, d.opts.RolloutTimeout)
	defer cancel()
	sts, err := tg.c.WaitRollout(wctx, tg.p, progress)
	status.Agents = nonNil(sts)
	if err != nil {
		status.fail(err)
		return
	}
	status.State = DeployDone
}

// report keeps a job's status for JobStatus and emits it.
func (d *Deploy) report(s DeployStatus) {
	d.mu.Lock()
	d.last[s.ID] = s
	d.mu.Unlock()
	d.emit(DeployStatusEventName(s.ID), s)
}

// JobStatus returns the latest status of a running or recently finished
// job: a window that subscribed to a job's events after it started reads
// what it may have missed here.
func (d *Deploy) JobStatus(id string) (DeployStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.last[id]
	if !ok {
		return DeployStatus{}, fmt.Errorf("%w: job %q", ErrNoDeploy, id)
	}
	return s, nil
}

func (s *DeployStatus) fail(err error) {
	err = coded(err)
	s.State, s.Error, s.Code = DeployFailed, err.Error(), document.CodeOf(err)
}

// Cancel stops a running job: what it applied stays applied (a rollback
// restores the previous deploy). Cancelling a finished job does nothing.
func (d *Deploy) Cancel(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	j, ok := d.jobs[id]
	if !ok {
		return nil
	}
	j.cancelled = true
	j.cancel()
	return nil
}

// Jobs returns the running jobs, for a window that opens while one runs.
func (d *Deploy) Jobs() []DeployJob {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []DeployJob{}
	for _, j := range d.jobs {
		out = append(out, j.info)
	}
	return out
}

// Status reads the state of each workload of the document's workflow in
// the cluster now.
func (d *Deploy) Status(t DeployTarget) ([]AgentStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	tg, err := d.open(ctx, t)
	if err != nil {
		return nil, err
	}
	sts, err := tg.c.Status(ctx, tg.p)
	return nonNil(sts), coded(err)
}

// History lists the recorded deploys of the document's workflow in the
// cluster, oldest first.
func (d *Deploy) History(t DeployTarget) ([]DeployRevision, error) {
	revs, err := d.history(t)
	if err != nil {
		return nil, err
	}
	out := make([]DeployRevision, 0, len(revs))
	for _, r := range revs {
		sum := map[string]int{}
		for a, n := range r.Summary {
			sum[string(a)] = n
		}
		if r.Images == nil {
			r.Images = map[string]string{}
		}
		out = append(out, DeployRevision{Revision: r.Revision, Time: r.Time.UnixMilli(), File: r.File, Images: r.Images, Summary: sum})
	}
	return out, nil
}

// RevisionSource returns the workflow text a recorded deploy deployed.
func (d *Deploy) RevisionSource(t DeployTarget, revision int) (string, error) {
	revs, err := d.history(t)
	if err != nil {
		return "", err
	}
	var have []string
	for _, r := range revs {
		if r.Revision == revision {
			return r.Source, nil
		}
		have = append(have, strconv.Itoa(r.Revision))
	}
	return "", coded(fmt.Errorf("%w: revision %d; expected one of: %s", deploy.ErrNoHistory, revision, strings.Join(have, ", ")))
}

func (d *Deploy) history(t DeployTarget) ([]deploy.Revision, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	tg, err := d.open(ctx, t)
	if err != nil {
		return nil, err
	}
	revs, err := tg.c.History(ctx, tg.p.Workflow, tg.p.Namespace)
	return revs, coded(err)
}

// shutdown cancels every job and metrics watch and waits for them to end.
func (d *Deploy) shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	for _, j := range d.jobs {
		j.cancelled = true
		j.cancel()
	}
	for id, cancel := range d.watches {
		cancel()
		delete(d.watches, id)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() {
		d.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("deploy: jobs still running at shutdown: %w", ctx.Err())
	}
}
