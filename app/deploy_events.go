package app

import (
	"errors"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/dsl/document"
)

// What Deploy sends to the window: event names, payloads, states and the
// coded errors of the cluster operations.

// DeployEventName is the event carrying each DeployEvent of a job: an
// object applied or pruned, the record written, an agent's rollout moving.
func DeployEventName(id string) string { return "deploy:" + id + ":event" }

// DeployStatusEventName is the event carrying a job's DeployStatus each
// time its state changes, the last one with the outcome.
func DeployStatusEventName(id string) string { return "deploy:" + id + ":status" }

// The states of a deploy job, in the order they are reached; the last
// three are final (done: applied and, but for an undeploy, rolled out).
const (
	DeployApplying   = "applying"
	DeployRollingOut = "rolling_out"
	DeployDone       = "done"
	DeployFailed     = "failed"
	DeployCancelled  = "cancelled"
)

// The kinds of deploy job.
const (
	JobDeploy   = "deploy"
	JobRollback = "rollback"
	JobUndeploy = "undeploy"
)

// The codes of the deploy errors the window tells apart.
const (
	CodeUnreachable   document.Code = "cluster_unreachable" // the API server does not answer
	CodeUnauthorized  document.Code = "cluster_unauthorized"
	CodeForbidden     document.Code = "cluster_forbidden"
	CodeKubeconfig    document.Code = "kubeconfig"     // no kubeconfig, or no such context
	CodeRollout       document.Code = "rollout_failed" // an agent did not become ready
	CodeNoHistory     document.Code = "no_history"     // no such recorded deploy
	CodeNotDeployable document.Code = "not_deployable" // the workflow cannot be rendered for a cluster
	CodeDeployBusy    document.Code = "deploy_busy"    // a job already runs for the target
	CodeNoDeploy      document.Code = "no_deploy"      // no such deploy job
)

// DeployCodes lists the codes of the deploy errors, for the window's
// generated types.
var DeployCodes = []document.Code{CodeUnreachable, CodeUnauthorized, CodeForbidden, CodeKubeconfig, CodeRollout,
	CodeNoHistory, CodeNotDeployable, CodeDeployBusy, CodeNoDeploy}

// Errors of the Deploy service itself.
var (
	// ErrDeployBusy is returned when a job is already running for the
	// same workflow, namespace and context.
	ErrDeployBusy = document.NewError(CodeDeployBusy, "a deploy is already running")
	// ErrNoDeploy is returned for an unknown job id.
	ErrNoDeploy = document.NewError(CodeNoDeploy, "no such deploy")
)

// deployCodes pairs each error of package deploy with its code.
var deployCodes = []struct {
	err  error
	code document.Code
}{
	{deploy.ErrUnreachable, CodeUnreachable},
	{deploy.ErrUnauthorized, CodeUnauthorized},
	{deploy.ErrForbidden, CodeForbidden},
	{deploy.ErrKubeconfig, CodeKubeconfig},
	{deploy.ErrRollout, CodeRollout},
	{deploy.ErrNoHistory, CodeNoHistory},
	{deploy.ErrInvalid, CodeNotDeployable},
	{deploy.ErrMissingEnv, CodeNotDeployable},
	{deploy.ErrNoWorkflow, CodeNotDeployable},
	{deploy.ErrFileMissing, CodeNotDeployable},
	{deploy.ErrFileTooBig, CodeNotDeployable},
	{deploy.ErrFilePath, CodeNotDeployable},
}

// codedError is an error of package deploy with the code the window
// receives; its message is the error's own.
type codedError struct {
	code *document.Error
	err  error
}

func (e *codedError) Error() string   { return e.err.Error() }
func (e *codedError) Unwrap() []error { return []error{e.code, e.err} }

// coded gives an error of package deploy its code (see DeployCodes);
// other errors are returned as they are.
func coded(err error) error {
	if err == nil || document.CodeOf(err) != "" {
		return err
	}
	for _, c := range deployCodes {
		if errors.Is(err, c.err) {
			return &codedError{code: document.NewError(c.code, c.err.Error()), err: err}
		}
	}
	return err
}

// DeployTarget names what a deploy is about: the open document (its
// current text, saved or not), the workflow in it (empty: the first), the
// kubeconfig context (empty: the current one) and the namespace (empty:
// the deployment block's, else the workflow's name).
type DeployTarget struct {
	Path      string `json:"path"`
	Workflow  string `json:"workflow"`
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
}

// ClusterContexts lists the contexts of the kubeconfig.
type ClusterContexts struct {
	Contexts []string `json:"contexts"`
	Current  string   `json:"current"`
}

// The change set, rollout and progress types of package deploy, as the
// window receives them.
type (
	DeployChange    = deploy.Change
	DeployChangeSet = deploy.ChangeSet
	AgentStatus     = deploy.AgentStatus
)

// DeployPreview is what deploying the document's current text would
// change in the cluster.
type DeployPreview struct {
	// Workflow is the workflow's name in the file (canvas node ids use
	// it); Namespace the one the deploy goes to; Context and Server name
	// the cluster.
	Workflow  string `json:"workflow"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
	Server    string `json:"server"`
	// Changes lists each object and, per agent id, the action on it.
	Changes DeployChangeSet `json:"changes"`
	// Text is the change set as `kumeo deploy --dry-run` prints it.
	Text string `json:"text"`
}

// DeployJob describes a started deploy, rollback or undeploy: its events
// are DeployEventName(ID) and DeployStatusEventName(ID).
type DeployJob struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"` // deploy, rollback or undeploy
	Workflow  string `json:"workflow"`
	Namespace string `json:"namespace"`
	Context   string `json:"context"`
}

// DeployEvent is the payload of DeployEventName.
type DeployEvent struct {
	ID      string        `json:"id"`
	Step    string        `json:"step"` // apply, prune, record, rollout
	Change  *DeployChange `json:"change,omitempty"`
	Agent   *AgentStatus  `json:"agent,omitempty"`
	Message string        `json:"message,omitempty"`
}

// DeployStatus is the payload of DeployStatusEventName.
type DeployStatus struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	State string `json:"state"` // applying, rolling_out, done, failed, cancelled
	// Error says why the job failed, Code its kind ("" for an error
	// without one).
	Error string        `json:"error,omitempty"`
	Code  document.Code `json:"code,omitempty"`
	// Revision is the deploy's revision once recorded.
	Revision int `json:"revision,omitempty"`
	// Changes is what the job applied, once applied.
	Changes *DeployChangeSet `json:"changes,omitempty"`
	// Agents is each workload's state at the end of the rollout.
	Agents []AgentStatus `json:"agents,omitempty"`
}

// DeployRevision is one recorded deploy as the history lists it (the
// workflow text on demand: RevisionSource).
type DeployRevision struct {
	Revision int               `json:"revision"`
	Time     int64             `json:"time"` // milliseconds since the Unix epoch
	File     string            `json:"file"`
	Images   map[string]string `json:"images"`
	Summary  map[string]int    `json:"summary"`
}
