// plainmember is the process of arraypki.local/arraypki-plain-member: an array member that is
// not Java. It serves the member protocol of io.arraypki.operator.member.MemberDaemon (mutual
// TLS; the client sends "PING <caller>\n", the server answers "PONG <member> <serial>\n" and
// closes) over its mounted files, and reads those files again for EVERY handshake: no cache, no
// watch, so it always serves what the volume holds at that moment, like a daemon that re-reads
// its files. It makes no calls of its own.
//
// Environment:
//
//	MEMBER_NAME  required: the member's name, answered in every PONG (no spaces)
//	TLS_DIR      default /etc/array/tls: tls.crt (the leaf first, then any intermediates), tls.key
//	TRUST_DIR    default /etc/array/trust: ca.crt (one or more CAs: the clients' certificates must
//	             chain to one), and optionally crl.pem (clients listed there are refused, as the
//	             Java member refuses them)
//	LISTEN_PORT  default 7443: mutual TLS, TLS 1.2 or 1.3, client certificate required, session
//	             tickets off (a resumed session would skip reading the files and the checks)
//	HEALTH_PORT  default 8080: plain HTTP. GET /healthz: 200 "ok" when the files load now (read
//	             at each request), else 503 and why. GET /stats: JSON with the member, handshakes
//	             ok and failed, PINGs answered, the serial the files hold now and the serial
//	             served by the latest successful handshake, the leaf's issuer, notAfter and
//	             digest (sha256:<hex of the DER>, as the operator's Fingerprints.digest).
//
// It logs plain lines on stdout, never key material: what it serves (serial, issuer, validity)
// whenever that changes, and failed handshakes (at most one line per 5 s, with a count of those
// not logged). A bad environment is an error message on stderr and exit status 2. SIGTERM or
// SIGINT: exit 0.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	maxLine            = 512              // as MemberDaemon: a longer line is not the protocol
	connectionDeadline = 10 * time.Second // handshake, PING and PONG together
	failureLogInterval = 5 * time.Second
)

type settings struct {
	member     string
	tlsDir     string
	trustDir   string
	listenPort int
	healthPort int
}

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "plain-member: takes no arguments; it is configured by MEMBER_NAME, TLS_DIR, TRUST_DIR, LISTEN_PORT and HEALTH_PORT")
		os.Exit(2)
	}
	s, err := settingsFromEnvironment(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plain-member: "+err.Error())
		os.Exit(2)
	}
	m := &member{settings: s}
	if err := m.run(); err != nil {
		m.log("%v", err)
		os.Exit(1)
	}
}

func settingsFromEnvironment(getenv func(string) string) (settings, error) {
	s := settings{
		member:   getenv("MEMBER_NAME"),
		tlsDir:   orDefault(getenv("TLS_DIR"), "/etc/array/tls"),
		trustDir: orDefault(getenv("TRUST_DIR"), "/etc/array/trust"),
	}
	if strings.TrimSpace(s.member) == "" {
		return s, errors.New("MEMBER_NAME is required: this member's name, answered in every PONG")
	}
	if strings.ContainsAny(s.member, " \t\r\n") {
		return s, fmt.Errorf("MEMBER_NAME %q has white space: the PONG is space-separated", s.member)
	}
	var err error
	if s.listenPort, err = port(getenv, "LISTEN_PORT", 7443); err != nil {
		return s, err
	}
	if s.healthPort, err = port(getenv, "HEALTH_PORT", 8080); err != nil {
		return s, err
	}
	if s.listenPort == s.healthPort {
		return s, fmt.Errorf("LISTEN_PORT and HEALTH_PORT are both %d", s.listenPort)
	}
	return s, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func port(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port (1-65535)", name, v)
	}
	return p, nil
}

// ---------------------------------------------------------------- the mounted files

// material is what the files held at one reading: the certificate to serve and the CAs (and
// CRLs) to check clients against.
type material struct {
	cert    tls.Certificate
	leaf    *x509.Certificate
	cas     *x509.CertPool
	caCount int
	crls    []*x509.RevocationList
}

func (m *material) serial() string { return m.leaf.SerialNumber.Text(16) }

// describe says what is served and trusted, without key material (for the log, on change).
func (m *material) describe() string {
	return fmt.Sprintf("serving leaf %s (subject %s) issued by %s, valid %s to %s; trusting %d CA(s)%s",
		m.serial(), m.leaf.Subject, m.leaf.Issuer, m.leaf.NotBefore.UTC().Format(time.RFC3339),
		m.leaf.NotAfter.UTC().Format(time.RFC3339), m.caCount, crlText(len(m.crls)))
}

func crlText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d CRL(s)", n)
}

// snapshotDir is the directory whose files are read together: the kubelet writes a Secret or
// ConfigMap volume as <dir>/..data -> ..<timestamp>/ and swaps that symlink atomically, so
// reading tls.crt and tls.key through the target it points at now gives a pair of one version,
// never the certificate of one and the key of the next. A plain directory is read as it is.
func snapshotDir(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		return dir
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return target
}

// readFiles reads the named files of one version of dir; a version removed under it (the
// kubelet deletes the old one right after the swap) is read again from the new one.
func readFiles(dir string, names ...string) ([][]byte, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		d := snapshotDir(dir)
		out := make([][]byte, len(names))
		err = nil
		for i, name := range names {
			if out[i], err = os.ReadFile(filepath.Join(d, name)); err != nil {
				break
			}
		}
		if err == nil {
			return out, nil
		}
		if d == dir || !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	return nil, err
}

// load reads the files afresh: called for every handshake and every /healthz.
func (m *member) load() (*material, error) {
	pair, err := readFiles(m.settings.tlsDir, "tls.crt", "tls.key")
	if err != nil {
		return nil, fmt.Errorf("cannot read the member's certificate and key: %w", pathless(err))
	}
	cert, err := tls.X509KeyPair(pair[0], pair[1])
	if err != nil {
		return nil, fmt.Errorf("tls.crt and tls.key in %s do not load: %v", m.settings.tlsDir, err)
	}
	leaf := cert.Leaf
	if leaf == nil { // Go before 1.23 leaves Leaf empty
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("tls.crt in %s: %v", m.settings.tlsDir, err)
		}
		cert.Leaf = leaf
	}
	trust, err := readFiles(m.settings.trustDir, "ca.crt")
	if err != nil {
		return nil, fmt.Errorf("cannot read the trusted CAs: %w", pathless(err))
	}
	cas := x509.NewCertPool()
	count := 0
	for rest := trust[0]; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		ca, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ca.crt in %s: certificate %d: %v", m.settings.trustDir, count+1, err)
		}
		cas.AddCert(ca)
		count++
	}
	if count == 0 {
		return nil, fmt.Errorf("ca.crt in %s holds no PEM certificate", m.settings.trustDir)
	}
	crls, err := m.loadCRLs()
	if err != nil {
		return nil, err
	}
	return &material{cert: cert, leaf: leaf, cas: cas, caCount: count, crls: crls}, nil
}

// loadCRLs reads the optional crl.pem of TRUST_DIR (none when it is not there).
func (m *member) loadCRLs() ([]*x509.RevocationList, error) {
	files, err := readFiles(m.settings.trustDir, "crl.pem")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read crl.pem: %w", pathless(err))
	}
	var crls []*x509.RevocationList
	for rest := files[0]; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			continue
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("crl.pem in %s: %v", m.settings.trustDir, err)
		}
		crls = append(crls, crl)
	}
	return crls, nil
}

// pathless keeps an error's operation and path but drops the timestamped directory the kubelet
// names its versions (..2026_01_01_00_00_00.123) by: the log then reads the same every time.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s %s: %v", pe.Op, filepath.Base(pe.Path), pe.Err)
	}
	return err
}

// revoked refuses a chain that one of the CRLs lists, as the Java member does: a CRL of the
// certificate's issuer (by name) that has its serial.
func revoked(crls []*x509.RevocationList, chain []*x509.Certificate) error {
	for _, cert := range chain {
		for _, crl := range crls {
			if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) {
				continue
			}
			for _, entry := range crl.RevokedCertificateEntries {
				if entry.SerialNumber.Cmp(cert.SerialNumber) == 0 {
					return fmt.Errorf("certificate %s is revoked", cert.SerialNumber.Text(16))
				}
			}
		}
	}
	return nil
}

// ---------------------------------------------------------------- the member

type member struct {
	settings settings

	handshakesOK     atomic.Int64
	handshakesFailed atomic.Int64
	pongs            atomic.Int64
	lastServed       atomic.Value // string: serial served by the latest successful handshake

	mu          sync.Mutex
	lastText    string // what describe() said last: logged when it changes
	lastFailLog time.Time
	suppressed  int64
	waitingLog  time.Time
}

func (m *member) log(format string, args ...any) {
	fmt.Printf("plain-member %s: %s\n", m.settings.member, fmt.Sprintf(format, args...))
}

// logFailure logs at most one failure line per failureLogInterval; every failure is counted anyway.
func (m *member) logFailure(line string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if now.Sub(m.lastFailLog) < failureLogInterval {
		m.suppressed++
		return
	}
	if m.suppressed > 0 {
		line += fmt.Sprintf(" (and %d more not logged since the last line)", m.suppressed)
	}
	m.lastFailLog, m.suppressed = now, 0
	m.log("%s", line)
}

// noteMaterial logs what the files hold when it differs from what was logged last.
func (m *member) noteMaterial(mat *material) {
	text := mat.describe()
	m.mu.Lock()
	changed := text != m.lastText
	m.lastText = text
	m.mu.Unlock()
	if changed {
		m.log("%s", text)
	}
}

func (m *member) run() error {
	listener, err := net.Listen("tcp", ":"+strconv.Itoa(m.settings.listenPort))
	if err != nil {
		return fmt.Errorf("cannot listen on %d: %v", m.settings.listenPort, err)
	}
	health, err := net.Listen("tcp", ":"+strconv.Itoa(m.settings.healthPort))
	if err != nil {
		return fmt.Errorf("cannot listen on %d: %v", m.settings.healthPort, err)
	}
	m.log("starting: TLS_DIR %s, TRUST_DIR %s; mutual TLS on %d, health and stats on %d; the files are read again for every handshake",
		m.settings.tlsDir, m.settings.trustDir, m.settings.listenPort, m.settings.healthPort)
	m.lastServed.Store("")

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		sig := <-signals
		m.log("stopping (%v): %s", sig, m.summary())
		os.Exit(0)
	}()

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", m.serveHealth)
	mux.HandleFunc("/stats", m.serveStats)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		err := server.Serve(health)
		m.log("the health server stopped: %v", err)
		os.Exit(1)
	}()

	go m.watchUntilLoaded()
	go func() {
		for range time.Tick(60 * time.Second) {
			m.log("%s", m.summary())
		}
	}()

	for {
		conn, err := listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			m.log("cannot accept: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go m.answer(conn)
	}
}

// watchUntilLoaded says, every 10 s, why the files do not load yet, until they do (then the
// handshakes log what they serve whenever it changes).
func (m *member) watchUntilLoaded() {
	start := time.Now()
	for {
		mat, err := m.load()
		if err == nil {
			m.noteMaterial(mat)
			return
		}
		m.log("waiting for the mounted files (%d s): %v", int(time.Since(start).Seconds()), err)
		time.Sleep(10 * time.Second)
	}
}

func (m *member) summary() string {
	return fmt.Sprintf("%d handshakes ok, %d failed, %d PONGs", m.handshakesOK.Load(),
		m.handshakesFailed.Load(), m.pongs.Load())
}

// config is the TLS configuration of one connection: its GetConfigForClient reads the files for
// this handshake and records, in *served, what it served.
func (m *member) config(served **material) *tls.Config {
	return &tls.Config{
		MinVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true,
		ClientAuth:             tls.RequireAndVerifyClientCert,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			mat, err := m.load()
			if err != nil {
				return nil, err
			}
			m.noteMaterial(mat)
			*served = mat
			return &tls.Config{
				MinVersion:             tls.VersionTLS12,
				SessionTicketsDisabled: true,
				Certificates:           []tls.Certificate{mat.cert},
				ClientAuth:             tls.RequireAndVerifyClientCert, // against ClientCAs, as read now
				ClientCAs:              mat.cas,
				VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
					if len(chains) == 0 {
						return errors.New("no verified client chain")
					}
					return revoked(mat.crls, chains[0])
				},
			}, nil
		},
	}
}

// answer is one inbound call: the handshake (counted), PING, PONG, close.
func (m *member) answer(raw net.Conn) {
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(connectionDeadline))
	var served *material
	conn := tls.Server(raw, m.config(&served))
	if err := conn.Handshake(); err != nil {
		m.handshakesFailed.Add(1)
		m.logFailure(fmt.Sprintf("inbound handshake from %s failed: %v", hostOf(raw.RemoteAddr()), err))
		return
	}
	m.handshakesOK.Add(1)
	m.lastServed.Store(served.serial())
	line, err := readLine(conn)
	if err != nil || !strings.HasPrefix(line, "PING ") {
		return // not the protocol: a member that called counts its own failure
	}
	if _, err := io.WriteString(conn, "PONG "+m.settings.member+" "+served.serial()+"\n"); err != nil {
		return
	}
	m.pongs.Add(1)
	conn.Close() // close_notify, as the Java server's close
}

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// readLine reads ASCII up to a newline (not included), at most maxLine bytes.
func readLine(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxLine+1), maxLine+1)
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	line = strings.TrimSuffix(line, "\n")
	if len(line) > maxLine {
		return "", fmt.Errorf("a line longer than %d bytes", maxLine)
	}
	return line, nil
}

// ---------------------------------------------------------------- HTTP

func (m *member) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if _, err := m.load(); err != nil {
		http.Error(w, "the mounted files do not load: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}

func (m *member) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	doc := map[string]any{
		"member":           m.settings.member,
		"handshakesOk":     m.handshakesOK.Load(),
		"handshakesFailed": m.handshakesFailed.Load(),
		"pongs":            m.pongs.Load(),
		"lastServedSerial": m.lastServed.Load(),
	}
	if mat, err := m.load(); err == nil {
		sum := sha256.Sum256(mat.leaf.Raw)
		doc["serial"] = mat.serial()
		doc["issuer"] = mat.leaf.Issuer.String()
		doc["notAfter"] = mat.leaf.NotAfter.UTC().Format(time.RFC3339)
		doc["leafDigest"] = "sha256:" + hex.EncodeToString(sum[:]) // as Fingerprints.digest
	} else {
		doc["serial"] = ""
		doc["error"] = err.Error()
	}
	body, _ := json.MarshalIndent(doc, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(body, '\n'))
}
