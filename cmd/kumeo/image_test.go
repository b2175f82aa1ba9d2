package main

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinyStatic builds a minimal static Linux Go program and returns its path.
func tinyStatic(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.22\n"), 0o644))
	bin := filepath.Join(dir, "kumeo")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func TestImageOutputs(t *testing.T) {
	bin := tinyStatic(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/acme/kumeo"
	dir := t.TempDir()
	lib := writeTemp(t, "libort.so.1", "fake library")
	layoutDir, tarFile := filepath.Join(dir, "layout"), filepath.Join(dir, "kumeo.tar")

	args := []string{"image", "--binary", bin, "--out", layoutDir, "--tar", tarFile, "--push", repo + ":v9",
		"--extra", lib + ":/usr/lib/libort.so.1", "--version", "9.9", "--env", "ORT_THREADS=2"}
	code, out, errOut := kumeo(t, "", args...)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	_, digest, ok := strings.Cut(lines[2], "@")
	require.True(t, ok, lines[2])
	assert.Equal(t, layoutDir+"@"+digest, lines[0])
	assert.Equal(t, tarFile+"@"+digest, lines[1])
	assert.Equal(t, repo+"@"+digest, lines[2])

	ref, err := name.NewDigest(lines[2])
	require.NoError(t, err)
	img, err := remote.Image(ref)
	require.NoError(t, err)
	cfg, err := img.ConfigFile()
	require.NoError(t, err)
	assert.Equal(t, "9.9", cfg.Config.Labels["org.opencontainers.image.version"])
	assert.Equal(t, []string{"/usr/local/bin/kumeo"}, cfg.Config.Entrypoint)
	assert.Equal(t, "65532:65532", cfg.Config.User)
	assert.Contains(t, cfg.Config.Env, "LD_LIBRARY_PATH=/usr/lib")
	assert.Contains(t, cfg.Config.Env, "ORT_THREADS=2")
	assert.Equal(t, time.Unix(1700000000, 0).UTC(), cfg.Created.Time.UTC())
	layers, err := img.Layers()
	require.NoError(t, err)
	assert.Len(t, layers, 3)

	p, err := layout.FromPath(layoutDir)
	require.NoError(t, err)
	idx, err := p.ImageIndex()
	require.NoError(t, err)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 1)
	assert.Equal(t, digest, m.Manifests[0].Digest.String())
	assert.Equal(t, repo+":v9", m.Manifests[0].Annotations["org.opencontainers.image.ref.name"])

	// The same inputs give the same digest.
	code, again, errOut := kumeo(t, "", "image", "--binary", bin, "--out", filepath.Join(dir, "again"),
		"--extra", lib+":/usr/lib/libort.so.1", "--version", "9.9", "--env", "ORT_THREADS=2")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, filepath.Join(dir, "again")+"@"+digest+"\n", again)
}

func TestImageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "layout")

	code, _, errOut := kumeo(t, "", "image", "--binary", "/bin/true")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "give at least one of --out, --tar and --push")
	assert.Contains(t, errOut, "usage: kumeo image")

	missing := filepath.Join(t.TempDir(), "kumeo")
	code, _, errOut = kumeo(t, "", "image", "--binary", missing, "--out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "kumeo image: binary: stat "+missing+": no such file or directory")

	if dyn, err := filepath.EvalSymlinks("/bin/true"); err == nil {
		code, _, errOut = kumeo(t, "", "image", "--binary", dyn, "--out", out)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "not a static Linux executable: it is dynamically linked")
	}

	bin := tinyStatic(t)
	code, _, errOut = kumeo(t, "", "image", "--binary", bin, "--out", out, "--extra", "lib.so")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `extra file "lib.so": want SRC:DST`)

	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	code, _, errOut = kumeo(t, "", "image", "--binary", bin, "--out", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `SOURCE_DATE_EPOCH="yesterday": want a non-negative number of seconds`)
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "nothing written after an error")
}
