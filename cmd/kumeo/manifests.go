package main

import (
	"io"

	"github.com/kumeo/kumeo/deploy"
)

const manifestsUsage = "kumeo manifests FILE [--workflow W] [--image REF] [--rbac] [-o yaml|json]"

// cmdManifests prints the Kubernetes objects that run a workflow in a
// cluster. ${env.X} values are read from the environment into a Secret,
// whose values are printed redacted: they are set at deploy time. With
// --rbac it prints instead the ServiceAccount, Role and RoleBinding that
// may deploy the workflow into its namespace.
func cmdManifests(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("manifests", stderr)
	workflow := fs.String("workflow", "", "workflow to render when the file has several (default: the first)")
	image := fs.String("image", "", "runtime image (default: the deployment block's registry, else "+deploy.DefaultImage+")")
	format := fs.String("o", "yaml", "output format: yaml or json")
	rbac := fs.Bool("rbac", false, "print the namespace-scoped Role (with a ServiceAccount and RoleBinding) that may deploy the workflow")
	files, err := parseArgs(fs, args)
	if err != nil {
		return exitError(2)
	}
	if len(files) != 1 || (*format != "yaml" && *format != "json") {
		return usageError(stderr, manifestsUsage)
	}
	f, err := readWorkflow(stderr, files[0], true)
	if err != nil {
		return err
	}
	var objs []deploy.Object
	if *rbac {
		objs, err = deploy.RBAC(f, *workflow)
	} else {
		objs, err = deploy.Render(f, *workflow, deploy.Options{Image: *image})
	}
	if err != nil {
		return err
	}
	objs = deploy.Redact(objs)
	var out []byte
	if *format == "json" {
		out, err = deploy.JSON(objs)
	} else {
		out, err = deploy.YAML(objs)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
