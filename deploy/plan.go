package deploy

import (
	"context"
	"fmt"

	"github.com/kumeo/kumeo/dsl"
)

// PlanFor renders workflow (empty: the first) of f for the cluster and
// prepares it to be diffed and applied.
func (c *Cluster) PlanFor(ctx context.Context, f *dsl.File, workflow string, opts Options) (*Plan, error) {
	w := f.Workflow(workflow)
	if w == nil {
		return nil, fmt.Errorf("%s: %w %q; expected the name of a workflow block in the file", f.Filename, ErrNoWorkflow, workflow)
	}
	objs, err := Render(f, workflow, opts)
	if err != nil {
		return nil, err
	}
	if opts.NATSPassword == "" && hasNATSSecret(objs) {
		// Keep the cluster's NATS password; a first deploy makes one.
		if opts.NATSPassword, err = c.natsPassword(ctx, objs[0].GetName(), dnsName(w.Name)); err != nil {
			return nil, err
		}
		if objs, err = Render(f, workflow, opts); err != nil {
			return nil, err
		}
	}
	if err := c.stampSecretHash(ctx, objs); err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range append(append([]*dsl.Agent(nil), w.Preprocessors...), w.Agents...) {
		ids = append(ids, a.ID)
	}
	p, err := NewPlan(objs, ids)
	if err != nil {
		return nil, err
	}
	p.File, p.Source, p.Name, p.NATSURL = f.Filename, f.Src, w.Name, w.NATS
	return p, nil
}

func hasNATSSecret(objs []Object) bool {
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind == "Secret" && o.GetLabels()[LabelComponent] == "nats" {
			return true
		}
	}
	return false
}
