package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kumeo/kumeo/deploy"
	"github.com/kumeo/kumeo/deploy/image"
)

const imageUsage = "kumeo image [--binary PATH] [--out DIR] [--tar FILE] [--push REPO[:TAG]] [--tag NAME] [--extra SRC:DST]... [--env KEY=VALUE]..."

// listFlag collects the values of a flag given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// imageFlags are the parsed flags of kumeo image.
type imageFlags struct {
	opts           image.Options
	out, tar, push string
	tag            string
}

// cmdImage builds the runtime image from a static kumeo binary and writes
// it as an OCI layout, a docker-loadable tarball and/or pushes it, printing
// one reference by digest per output on stdout.
func cmdImage(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	f, err := parseImageFlags(args, stderr)
	if err != nil {
		return err
	}
	img, err := image.Build(f.opts)
	if err != nil {
		return err
	}
	if f.out != "" {
		d, err := image.WriteLayout(f.out, f.tag, img)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s@%s\n", f.out, d)
	}
	if f.tar != "" {
		d, err := image.WriteTarball(f.tar, f.tag, img)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s@%s\n", f.tar, d)
	}
	if f.push != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		ref, err := image.Push(ctx, f.push, img)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, ref.String())
	}
	return nil
}

// parseImageFlags reads the command line of kumeo image.
func parseImageFlags(args []string, stderr io.Writer) (imageFlags, error) {
	fs := newFlags("image", stderr)
	var f imageFlags
	var extra, env listFlag
	fs.StringVar(&f.opts.Binary, "binary", "", "static Linux kumeo executable to put in the image (default: this kumeo)")
	fs.StringVar(&f.out, "out", "", "write the image into this OCI image layout directory")
	fs.StringVar(&f.tar, "tar", "", "write the image to this tarball for docker load or kind load image-archive")
	fs.StringVar(&f.push, "push", "", "push the image to REPO[:TAG] (credentials of docker login)")
	fs.StringVar(&f.tag, "tag", "", "name of the image in the layout and the tarball (default: the --push reference, else "+deploy.DefaultImage+")")
	fs.Var(&extra, "extra", "add the file SRC at DST in an extra layer (repeatable); shared libraries put their directory on LD_LIBRARY_PATH")
	fs.Var(&env, "env", "set KEY=VALUE in the image's environment (repeatable)")
	fs.StringVar(&f.opts.CACerts, "cacerts", "", "CA certificate bundle (default "+image.CACertsPath+")")
	fs.StringVar(&f.opts.Version, "version", "", "org.opencontainers.image.version label (default: the version recorded in the binary)")
	fs.StringVar(&f.opts.Revision, "revision", "", "org.opencontainers.image.revision label (default: the VCS revision recorded in the binary)")
	fs.StringVar(&f.opts.Source, "source", "", "org.opencontainers.image.source label (default "+image.DefaultSource+")")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return f, exitError(2)
	}
	if len(rest) > 0 || (f.out == "" && f.tar == "" && f.push == "") {
		fmt.Fprintln(stderr, "kumeo image: give at least one of --out, --tar and --push, and no arguments")
		return f, usageError(stderr, imageUsage)
	}
	return f, f.complete(extra, env)
}

// complete fills the defaults and the options that need parsing.
func (f *imageFlags) complete(extra, env []string) error {
	for _, e := range extra {
		file, err := image.ParseFile(e)
		if err != nil {
			return err
		}
		f.opts.Extra = append(f.opts.Extra, file)
	}
	f.opts.Env = env
	if f.opts.Binary == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this executable (give --binary): %w", err)
		}
		f.opts.Binary = self
	}
	if f.tag == "" {
		f.tag = f.push
	}
	if f.tag == "" {
		f.tag = deploy.DefaultImage
	}
	created, err := sourceDateEpoch()
	f.opts.Created = created
	return err
}

// sourceDateEpoch is the time in $SOURCE_DATE_EPOCH (seconds since the
// Unix epoch), or the zero time when it is unset.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative number of seconds since 1970-01-01 UTC", s)
	}
	return time.Unix(n, 0).UTC(), nil
}
