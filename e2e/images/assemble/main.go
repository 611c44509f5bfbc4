// assemble writes the images of e2e/images.sh as docker-archive tarballs (what
// `ctr images import` and `docker load` read) with go-containerregistry: the manifest, the
// config and the layer digests are go-containerregistry's (mutate.Append, mutate.ConfigFile,
// tarball.WriteToFile); this program only decides what goes into a layer and into the config.
//
//	assemble -o OUT.tar -tag REF [-base BASE.tar] [-rootfs DIR [-chown PATH=UID:GID]...]
//	         [-dockerfile FILE -context DIR [-expect-from IMAGE]]
//	         [-history TEXT] [-entrypoint JSON] [-cmd JSON] [-user U] [-workdir DIR]
//	         [-env K=V]... [-label K=V]... [-expose PORT[/PROTO]]... [-gzip-level N]
//
// In that order: the base image (default: scratch), a layer holding the tree DIR as /, a layer
// holding the Dockerfile's WORKDIR and COPY results plus its config instructions, the flags.
// Every file is owned by 0:0 (unless -chown) and dated SOURCE_DATE_EPOCH (default 0), entries
// are sorted: the same inputs give the same layer digests and the same image ID.
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

var epoch = time.Unix(0, 0).UTC()

func main() {
	log := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "assemble: "+format+"\n", args...) }
	if err := run(os.Args[1:]); err != nil {
		log("%v", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("assemble", flag.ContinueOnError)
	out := fl.String("o", "", "docker-archive tarball to write")
	tag := fl.String("tag", "", "the image's name in the tarball (RepoTags)")
	base := fl.String("base", "", "docker-archive tarball of the base image (default: scratch)")
	rootfs := fl.String("rootfs", "", "a directory to add as one layer, as /")
	dockerfile := fl.String("dockerfile", "", "a Dockerfile whose WORKDIR/COPY/config instructions to apply")
	contextDir := fl.String("context", ".", "the Dockerfile's build context")
	expectFrom := fl.String("expect-from", "", "fail unless the Dockerfile's FROM is this image")
	entrypoint := fl.String("entrypoint", "", "ENTRYPOINT as a JSON array (resets CMD, as in a Dockerfile)")
	cmd := fl.String("cmd", "", "CMD as a JSON array")
	user := fl.String("user", "", "USER")
	workdir := fl.String("workdir", "", "WORKDIR (config only)")
	gzipLevel := fl.Int("gzip-level", gzip.DefaultCompression, "gzip level of the new layers")
	history := fl.String("history", "", "what the -rootfs layer is (the image's history)")
	var env, labels, expose, chown multi
	fl.Var(&env, "env", "K=V (repeatable)")
	fl.Var(&labels, "label", "K=V (repeatable)")
	fl.Var(&expose, "expose", "PORT[/PROTO] (repeatable)")
	fl.Var(&chown, "chown", "PATH=UID:GID inside -rootfs (repeatable)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || *tag == "" || fl.NArg() != 0 {
		return errors.New("-o and -tag are required, and nothing else than flags")
	}
	if epochText := os.Getenv("SOURCE_DATE_EPOCH"); epochText != "" {
		seconds, err := strconv.ParseInt(epochText, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: %v", epochText, err)
		}
		epoch = time.Unix(seconds, 0).UTC()
	}
	ref, err := name.NewTag(*tag, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-tag %q: %v", *tag, err)
	}

	var img v1.Image = empty.Image
	if *base != "" {
		if img, err = tarball.ImageFromPath(*base, nil); err != nil {
			return fmt.Errorf("base %s: %v", *base, err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	if *base == "" {
		cfg.OS, cfg.Architecture = "linux", runtime.GOARCH // what ctr's platform matching needs
	}

	tmp, err := os.MkdirTemp(filepath.Dir(*out), ".assemble-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var adds []mutate.Addendum
	layerFile := func(n int) string { return filepath.Join(tmp, fmt.Sprintf("layer%d.tar.gz", n)) }

	if *rootfs != "" {
		lb := newLayer()
		if err := lb.addTree(*rootfs, ""); err != nil {
			return err
		}
		for _, c := range chown {
			if err := lb.chown(c); err != nil {
				return err
			}
		}
		layer, err := lb.write(layerFile(len(adds)), *gzipLevel)
		if err != nil {
			return err
		}
		what := *history
		if what == "" {
			what = "a directory as /"
		}
		adds = append(adds, mutate.Addendum{Layer: layer, History: v1.History{
			Created: v1.Time{Time: epoch}, CreatedBy: "e2e/images.sh: " + what}})
	}

	if *dockerfile != "" {
		df, err := parseDockerfile(*dockerfile)
		if err != nil {
			return err
		}
		if *expectFrom != "" && df.from != *expectFrom {
			return fmt.Errorf("%s builds FROM %s, the local base stands in for %s only: update e2e/images.sh",
				*dockerfile, df.from, *expectFrom)
		}
		lb := newLayer()
		for _, dir := range df.workdirs {
			lb.addDir(strings.TrimPrefix(dir, "/"), 0o755)
		}
		for _, c := range df.copies {
			if err := lb.copyInto(*contextDir, c.src, c.dst); err != nil {
				return fmt.Errorf("%s: COPY %s %s: %v", *dockerfile, c.src, c.dst, err)
			}
		}
		layer, err := lb.write(layerFile(len(adds)), *gzipLevel)
		if err != nil {
			return err
		}
		adds = append(adds, mutate.Addendum{Layer: layer, History: v1.History{
			Created: v1.Time{Time: epoch}, CreatedBy: "e2e/images.sh: the WORKDIR and COPY instructions of " + filepath.Base(*dockerfile)}})
		df.apply(&cfg.Config)
	}

	c := &cfg.Config
	if *entrypoint != "" {
		if err := json.Unmarshal([]byte(*entrypoint), &c.Entrypoint); err != nil {
			return fmt.Errorf("-entrypoint must be a JSON array of strings: %v", err)
		}
		c.Cmd = nil
	}
	if *cmd != "" {
		if err := json.Unmarshal([]byte(*cmd), &c.Cmd); err != nil {
			return fmt.Errorf("-cmd must be a JSON array of strings: %v", err)
		}
	}
	if *user != "" {
		c.User = *user
	}
	if *workdir != "" {
		c.WorkingDir = *workdir
	}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-env %q: not K=V", kv)
		}
		setEnv(c, k, v)
	}
	for _, kv := range labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-label %q: not K=V", kv)
		}
		setLabel(c, k, v)
	}
	for _, p := range expose {
		addPort(c, p)
	}

	if img, err = mutate.Append(img, adds...); err != nil {
		return err
	}
	// The history and rootfs that Append computed, with the config decided above.
	appended, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg.History, cfg.RootFS = appended.History, appended.RootFS
	cfg.Created = v1.Time{Time: epoch}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}

	part := *out + ".part"
	if err := tarball.WriteToFile(part, ref, img); err != nil {
		os.Remove(part)
		return err
	}
	if err := os.Rename(part, *out); err != nil {
		return err
	}
	id, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, _ := img.Layers()
	fmt.Fprintf(os.Stderr, "assemble: wrote %s (%s, image id %s, %d layers)\n", *out, ref, id, len(layers))
	return nil
}

// ---------------------------------------------------------------- layers

type entry struct {
	hdr tar.Header
	src string // the file to copy for a regular file
}

type layerBuilder struct{ entries map[string]*entry }

func newLayer() *layerBuilder { return &layerBuilder{entries: map[string]*entry{}} }

// addDir adds a directory (and its missing parents, 0755), keeping one already added.
func (l *layerBuilder) addDir(p string, mode int64) {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return
	}
	l.addDir(path.Dir(p), 0o755)
	if _, ok := l.entries[p]; ok {
		return
	}
	l.entries[p] = &entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: p + "/", Mode: mode}}
}

// addTree adds what is under dir (not dir itself) at prefix.
func (l *layerBuilder) addTree(dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		return l.addFile(p, path.Join(prefix, filepath.ToSlash(rel)))
	})
}

// addFile adds one directory, regular file or symlink of the host at dst (a path in the image).
func (l *layerBuilder) addFile(src, dst string) error {
	dst = strings.Trim(path.Clean("/"+dst), "/")
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	link := ""
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if link, err = os.Readlink(src); err != nil {
			return err
		}
	case info.IsDir(), info.Mode().IsRegular():
	default:
		return fmt.Errorf("%s: neither a file, a directory nor a symlink", src)
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	// Only what an image needs: no host owner, no host times (they would make PAX headers).
	h := tar.Header{Typeflag: hdr.Typeflag, Name: dst, Linkname: hdr.Linkname, Mode: hdr.Mode, Size: hdr.Size}
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
		h.Size = 0
	}
	if h.Typeflag != tar.TypeReg {
		src = ""
		h.Size = 0
	}
	l.addDir(path.Dir(dst), 0o755)
	l.entries[dst] = &entry{hdr: h, src: src}
	return nil
}

func (l *layerBuilder) chown(spec string) error {
	p, ids, ok := strings.Cut(spec, "=")
	uid, gid, ok2 := strings.Cut(ids, ":")
	u, err1 := strconv.Atoi(uid)
	g, err2 := strconv.Atoi(gid)
	if !ok || !ok2 || err1 != nil || err2 != nil {
		return fmt.Errorf("-chown %q: not PATH=UID:GID", spec)
	}
	e, found := l.entries[strings.Trim(path.Clean("/"+p), "/")]
	if !found {
		return fmt.Errorf("-chown %q: no such path in the layer", spec)
	}
	e.hdr.Uid, e.hdr.Gid = u, g
	return nil
}

// copyInto does what `COPY src dst` does (no globs, no flags): a directory's contents go into
// dst, a file goes to dst, or into dst when dst ends with "/".
func (l *layerBuilder) copyInto(contextDir, src, dst string) error {
	clean := filepath.Clean(src)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return errors.New("the source is outside the build context")
	}
	if strings.ContainsAny(src, "*?[") {
		return errors.New("wildcards are not supported by e2e/images.sh")
	}
	full := filepath.Join(contextDir, clean)
	info, err := os.Stat(full)
	if err != nil {
		return err
	}
	if info.IsDir() {
		l.addDir(dst, int64(info.Mode().Perm()))
		return l.addTree(full, dst)
	}
	if strings.HasSuffix(dst, "/") {
		dst = path.Join(dst, filepath.Base(full))
	}
	return l.addFile(full, dst)
}

// write writes the sorted entries as a gzipped tar and returns it as a layer.
func (l *layerBuilder) write(file string, level int) (v1.Layer, error) {
	names := make([]string, 0, len(l.entries))
	for n := range l.entries {
		names = append(names, n)
	}
	sort.Strings(names) // a parent sorts before what it holds
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := bufio.NewWriterSize(f, 1<<20)
	zw, err := gzip.NewWriterLevel(buf, level)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, n := range names {
		e := l.entries[n]
		h := e.hdr
		h.ModTime = epoch
		h.Format = tar.FormatUnknown
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if e.src != "" {
			if err := copyFileInto(tw, e.src, h.Size); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	if err := buf.Flush(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return tarball.LayerFromFile(file) // gzip already: go-containerregistry keeps it as is
}

func copyFileInto(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while being read", src)
	}
	return err
}

// ---------------------------------------------------------------- Dockerfile

type copyInstruction struct{ src, dst string }

type dockerfileSpec struct {
	from                  string
	labels, env           [][2]string
	workdir, user         string
	workdirs              []string
	expose                []string
	entrypoint, cmd       []string
	hasEntrypoint, hasCmd bool
	copies                []copyInstruction
}

// parseDockerfile reads the instructions a single-stage Dockerfile of FROM, LABEL, ENV, WORKDIR,
// COPY, USER, EXPOSE, ENTRYPOINT and CMD (exec form) needs, and fails on anything else (RUN,
// ADD, ARG, variables, COPY flags...) rather than build an image that differs from it.
func parseDockerfile(file string) (*dockerfileSpec, error) {
	text, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	df := &dockerfileSpec{workdir: "/"}
	var logical strings.Builder
	lines := strings.Split(string(text), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t\r")
		trimmed := strings.TrimSpace(line)
		if logical.Len() == 0 && trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "#") { // comments, also inside a continued instruction
			continue
		}
		if strings.HasSuffix(line, "\\") {
			logical.WriteString(strings.TrimSuffix(line, "\\"))
			if i+1 < len(lines) {
				continue
			}
		} else {
			logical.WriteString(line)
		}
		instruction := strings.TrimSpace(logical.String())
		logical.Reset()
		if instruction == "" {
			continue
		}
		if err := df.instruction(instruction); err != nil {
			return nil, fmt.Errorf("%s: %q: %v", file, instruction, err)
		}
	}
	if df.from == "" {
		return nil, fmt.Errorf("%s: no FROM", file)
	}
	return df, nil
}

func (df *dockerfileSpec) instruction(text string) error {
	keyword, args, _ := strings.Cut(text, " ")
	args = strings.TrimSpace(args)
	keyword = strings.ToUpper(keyword)
	if keyword != "ENTRYPOINT" && keyword != "CMD" && strings.Contains(args, "$") {
		return errors.New("variables are not supported by e2e/images.sh")
	}
	if strings.HasPrefix(args, "--") {
		return errors.New("instruction flags are not supported by e2e/images.sh")
	}
	switch keyword {
	case "FROM":
		if df.from != "" {
			return errors.New("multi-stage builds are not supported by e2e/images.sh")
		}
		df.from = args
	case "LABEL", "ENV":
		pairs, err := keyValues(args)
		if err != nil {
			return err
		}
		if keyword == "LABEL" {
			df.labels = append(df.labels, pairs...)
		} else {
			df.env = append(df.env, pairs...)
		}
	case "WORKDIR":
		dir := unquote(args)
		if !path.IsAbs(dir) {
			dir = path.Join(df.workdir, dir)
		}
		df.workdir = path.Clean(dir)
		df.workdirs = append(df.workdirs, df.workdir)
	case "COPY":
		var parts []string
		if strings.HasPrefix(args, "[") {
			if err := json.Unmarshal([]byte(args), &parts); err != nil {
				return err
			}
		} else {
			parts = strings.Fields(args)
		}
		if len(parts) != 2 {
			return errors.New("only COPY SRC DST (one source) is supported by e2e/images.sh")
		}
		dst := parts[1]
		if !path.IsAbs(dst) {
			trailing := strings.HasSuffix(dst, "/")
			dst = path.Join(df.workdir, dst)
			if trailing {
				dst += "/"
			}
		}
		df.copies = append(df.copies, copyInstruction{src: parts[0], dst: dst})
	case "USER":
		df.user = args
	case "EXPOSE":
		df.expose = append(df.expose, strings.Fields(args)...)
	case "ENTRYPOINT", "CMD":
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			return errors.New("only the exec (JSON) form is supported by e2e/images.sh")
		}
		if keyword == "ENTRYPOINT" {
			df.entrypoint, df.hasEntrypoint = argv, true
			df.cmd, df.hasCmd = nil, true // ENTRYPOINT resets an inherited CMD
		} else {
			df.cmd, df.hasCmd = argv, true
		}
	default:
		return fmt.Errorf("%s is not supported by e2e/images.sh (it builds without running containers)", keyword)
	}
	return nil
}

func (df *dockerfileSpec) apply(c *v1.Config) {
	for _, kv := range df.labels {
		setLabel(c, kv[0], kv[1])
	}
	for _, kv := range df.env {
		setEnv(c, kv[0], kv[1])
	}
	if len(df.workdirs) > 0 {
		c.WorkingDir = df.workdir
	}
	if df.user != "" {
		c.User = df.user
	}
	for _, p := range df.expose {
		addPort(c, p)
	}
	if df.hasEntrypoint {
		c.Entrypoint = df.entrypoint
	}
	if df.hasCmd {
		c.Cmd = df.cmd
	}
}

// keyValues parses `k1="v 1" k2=v2 ...` (double quotes with \" \\, or a bare word) and the
// old one-pair form `KEY value with spaces`.
func keyValues(s string) ([][2]string, error) {
	if k, v, ok := strings.Cut(s, " "); ok && !strings.Contains(k, "=") {
		return [][2]string{{k, strings.TrimSpace(v)}}, nil
	}
	var pairs [][2]string
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			break
		}
		key, value := "", ""
		var err error
		if key, i, err = word(s, i, true); err != nil {
			return nil, err
		}
		if i >= len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%q is not KEY=VALUE", key)
		}
		if value, i, err = word(s, i+1, false); err != nil {
			return nil, err
		}
		pairs = append(pairs, [2]string{key, value})
	}
	return pairs, nil
}

// word reads one word from s[i:]: quoted ("..." or '...') or bare, up to a blank (or '=').
func word(s string, i int, isKey bool) (string, int, error) {
	var b strings.Builder
	for i < len(s) {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || (isKey && ch == '='):
			return b.String(), i, nil
		case ch == '"' || ch == '\'':
			j := i + 1
			for ; j < len(s) && s[j] != ch; j++ {
				if ch == '"' && s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return "", 0, errors.New("unterminated quote")
			}
			i = j + 1
		case ch == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(ch)
			i++
		}
	}
	return b.String(), i, nil
}

func unquote(s string) string {
	if w, _, err := word(s, 0, false); err == nil {
		return w
	}
	return s
}

func setEnv(c *v1.Config, k, v string) {
	for i, kv := range c.Env {
		if strings.HasPrefix(kv, k+"=") {
			c.Env[i] = k + "=" + v
			return
		}
	}
	c.Env = append(c.Env, k+"="+v)
}

func setLabel(c *v1.Config, k, v string) {
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.Labels[k] = v
}

func addPort(c *v1.Config, p string) {
	if !strings.Contains(p, "/") {
		p += "/tcp"
	}
	if c.ExposedPorts == nil {
		c.ExposedPorts = map[string]struct{}{}
	}
	c.ExposedPorts[p] = struct{}{}
}
