package image

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// RefNameAnnotation names an image inside an OCI layout's index.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img into the OCI image layout directory dir,
// creating it if needed, and names it tag in the layout's index.json,
// replacing an image of the same name, and removes the blobs no image of
// the layout uses any more. A directory that exists and is neither empty
// nor a layout is refused. It returns the image's digest.
func WriteLayout(dir, tag string, img v1.Image) (v1.Hash, error) {
	p, err := openLayout(dir)
	if err != nil {
		return v1.Hash{}, err
	}
	err = p.ReplaceImage(img, match.Annotation(RefNameAnnotation, tag),
		layout.WithAnnotations(map[string]string{RefNameAnnotation: tag}))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("write OCI layout %s: %w", dir, err)
	}
	if err := pruneBlobs(p); err != nil {
		return v1.Hash{}, fmt.Errorf("OCI layout %s: remove unused blobs: %w", dir, err)
	}
	return img.Digest()
}

// pruneBlobs removes the sha256 blobs of the layout that no manifest
// listed in its index.json refers to.
func pruneBlobs(p layout.Path) error {
	idx, err := p.ImageIndex()
	if err != nil {
		return err
	}
	used := map[v1.Hash]bool{}
	if err := markIndex(idx, used); err != nil {
		return err
	}
	blobs := filepath.Join(string(p), "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !used[v1.Hash{Algorithm: "sha256", Hex: e.Name()}] {
			if err := os.Remove(filepath.Join(blobs, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// markIndex records the digests of the manifests, configurations and
// layers reachable from idx.
func markIndex(idx v1.ImageIndex, used map[v1.Hash]bool) error {
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		used[d.Digest] = true
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return err
			}
			if err := markIndex(child, used); err != nil {
				return err
			}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return err
			}
			if err := markImage(img, used); err != nil {
				return err
			}
		}
	}
	return nil
}

// markImage records the digests of an image's configuration and layers.
func markImage(img v1.Image, used map[v1.Hash]bool) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	used[m.Config.Digest] = true
	for _, l := range m.Layers {
		used[l.Digest] = true
	}
	return nil
}

// openLayout opens the layout at dir or creates an empty one.
func openLayout(dir string) (layout.Path, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		p, err := layout.FromPath(dir)
		if err != nil {
			return "", fmt.Errorf("OCI layout %s: %w", dir, err)
		}
		return p, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("OCI layout: %w", err)
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("OCI layout: %s exists and is not an OCI image layout (no oci-layout file); give an empty or new directory", dir)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("create OCI layout %s: %w", dir, err)
	}
	return p, nil
}

// WriteTarball writes img to file as a tarball that docker load (or kind
// load image-archive) reads, tagged tag. It returns the image's manifest
// digest; docker load keeps the tag, not this digest.
func WriteTarball(file, tag string, img v1.Image) (v1.Hash, error) {
	t, err := name.NewTag(tag)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("tarball tag: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".kumeo-image-*.tar")
	if err != nil {
		return v1.Hash{}, fmt.Errorf("tarball: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return v1.Hash{}, fmt.Errorf("tarball: %w", err)
	}
	if err := tarball.Write(t, img, tmp); err != nil {
		tmp.Close()
		return v1.Hash{}, fmt.Errorf("write tarball %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return v1.Hash{}, fmt.Errorf("write tarball %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return v1.Hash{}, fmt.Errorf("tarball: %w", err)
	}
	return img.Digest()
}

// Push uploads img to ref (REPO or REPO:TAG; the tag defaults to latest)
// with the credentials of authn.DefaultKeychain (docker login, credential
// helpers), then more options, and returns the image's reference by
// digest, REPO@sha256:....
func Push(ctx context.Context, ref string, img v1.Image, opts ...remote.Option) (name.Digest, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return name.Digest{}, fmt.Errorf("push: %w (want REPO[:TAG], e.g. ghcr.io/acme/kumeo:1.0)", err)
	}
	all := append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	if err := remote.Write(tag, img, all...); err != nil {
		return name.Digest{}, fmt.Errorf("push %s: %w", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return tag.Context().Digest(d.String()), nil
}
