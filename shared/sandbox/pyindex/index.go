// Package pyindex runs the sandbox package index, an HTTPS server on
// loopback that speaks the simple repository API (PEP 503 HTML and PEP 691
// JSON). It serves small wheels that it builds at start and requires HTTP
// basic auth with any of the credentials that it was given. SetBehavior
// switches it into misbehaviours of real indexes.
package pyindex

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/repolink/repolink/shared/indexurl"
)

// Options configures Start.
type Options struct {
	// Hosts are the DNS names (or IPs) the certificate covers besides
	// localhost and 127.0.0.1, such as the repository host a proxy forwards.
	Hosts []string
	// Username and Password are basic auth credentials that the index
	// accepts for every host. When both are empty and SetCredential has
	// added none, the index requires no credentials.
	Username string
	Password string
	// Dir keeps the credentials that SetCredential adds, so that a later
	// index on the same directory accepts them too. Empty keeps them in
	// memory only.
	Dir string
	// CA signs the server certificate. When nil, Start creates a CA that
	// lives only in memory, and Index.CA returns it.
	CA     *CA
	Logger *slog.Logger
}

// Behavior selects misbehaviours seen in real indexes. The zero value is a
// well-behaved index.
type Behavior struct {
	// RejectStatus is the status for a request with missing or wrong
	// credentials. Zero means 401 with a Basic challenge. 404 mimics an
	// index that hides what the caller may not see, and 403 one that
	// denies access.
	RejectStatus int
	// HTMLOnly makes the index ignore PEP 691 and serve every page as
	// text/html.
	HTMLOnly bool
	// InsecureLinks makes file links absolute http:// URLs.
	InsecureLinks bool
	// FileRedirect, when set, makes /files/<name> respond 302 with the
	// location FileRedirect + name, as an index that serves files from
	// object storage does. It usually ends with "/files/".
	FileRedirect string
	// RejectAuthorization makes the index respond 400 to any request that
	// carries an Authorization header, as object storage does for signed
	// URLs.
	RejectAuthorization bool
	// WrongHashes makes file links advertise a sha256 that does not match
	// the file.
	WrongHashes bool
	// Missing lists project names that the index responds to with 404.
	Missing []string
}

// File is one wheel that the index serves.
type File struct {
	Project  string
	Version  string
	Filename string
	SHA256   string
}

// Index is a running sandbox package index.
type Index struct {
	ca     *CA
	ln     net.Listener
	srv    *http.Server
	logger *slog.Logger
	dir    string

	files    map[string]wheelFile   // by filename
	projects map[string][]wheelFile // by normalised name, oldest first
	names    []string               // normalised names, sorted

	mu sync.Mutex
	// hosts are the names that cert covers besides localhost and
	// 127.0.0.1.
	hosts    []string
	cert     *tls.Certificate
	username string
	password string
	// hostCredentials are the credentials that SetCredential added.
	hostCredentials *credentials
	behavior        Behavior

	closeOnce sync.Once
	closeErr  error
}

// Start builds the catalogue's wheels and serves them over HTTPS on a free
// 127.0.0.1 port until Close is called or ctx is done.
func Start(ctx context.Context, opts Options) (*Index, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ca := opts.CA
	if ca == nil {
		var err error
		if ca, _, err = newCA(); err != nil {
			return nil, err
		}
	}

	hostCredentials, err := loadCredentials(opts.Dir)
	if err != nil {
		return nil, err
	}
	idx := &Index{
		ca:              ca,
		logger:          logger,
		dir:             opts.Dir,
		files:           map[string]wheelFile{},
		projects:        map[string][]wheelFile{},
		username:        opts.Username,
		password:        opts.Password,
		hostCredentials: hostCredentials,
	}
	if err := idx.build(); err != nil {
		return nil, err
	}
	if err := idx.AddHosts(opts.Hosts...); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for package index: %w", err)
	}
	idx.ln = ln
	idx.srv = &http.Server{
		Handler:   idx,
		TLSConfig: &tls.Config{GetCertificate: idx.certificate, MinVersion: tls.VersionTLS12},
		ErrorLog:  slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}

	go func() {
		err := idx.srv.ServeTLS(ln, "", "")
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("package index stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
	context.AfterFunc(ctx, func() { idx.Close() })

	logger.Info("package index started", "url", idx.URL(), "hosts", opts.Hosts,
		"auth", opts.Username != "" || opts.Password != "" || len(hostCredentials.Entries) > 0)
	return idx, nil
}

// AddHosts makes the certificate cover hosts too, such as the repository
// hosts of a request that reaches the index after Start. Connections that
// begin afterwards get a certificate that covers them. Names already
// covered are ignored, without regard to case.
func (idx *Index) AddHosts(hosts ...string) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	added := slices.Clone(idx.hosts)
	for _, host := range hosts {
		if !slices.ContainsFunc(added, func(h string) bool { return strings.EqualFold(h, host) }) {
			added = append(added, host)
		}
	}
	if idx.cert != nil && len(added) == len(idx.hosts) {
		return nil
	}
	cert, err := idx.ca.Issue(append(slices.Clone(added), "localhost", "127.0.0.1")...)
	if err != nil {
		return fmt.Errorf("issue index certificate: %w", err)
	}
	idx.hosts, idx.cert = added, &cert
	return nil
}

// Hosts returns the names that the certificate covers besides localhost
// and 127.0.0.1.
func (idx *Index) Hosts() []string {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	return slices.Clone(idx.hosts)
}

// certificate returns the current certificate, for tls.Config.
func (idx *Index) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	return idx.cert, nil
}

func (idx *Index) build() error {
	for _, d := range Catalogue() {
		w, err := buildWheel(d)
		if err != nil {
			return err
		}
		idx.files[w.Filename] = w
		name := normalize(d.Project)
		idx.projects[name] = append(idx.projects[name], w)
	}
	for name := range idx.projects {
		idx.names = append(idx.names, name)
	}
	sort.Strings(idx.names)
	return nil
}

// URL returns the simple index URL, https://127.0.0.1:<port>/simple/.
func (idx *Index) URL() string {
	return "https://" + idx.Addr() + "/simple/"
}

// Addr returns the listen address, 127.0.0.1:<port>.
func (idx *Index) Addr() string {
	return idx.ln.Addr().String()
}

// CA returns the CA that signed the index certificate.
func (idx *Index) CA() *CA {
	return idx.ca
}

// Files returns the wheels the index serves, sorted by filename.
func (idx *Index) Files() []File {
	out := make([]File, 0, len(idx.files))
	for _, w := range idx.files {
		out = append(out, File{Project: w.Dist.Project, Version: w.Dist.Version,
			Filename: w.Filename, SHA256: w.SHA256})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Filename < out[j].Filename })
	return out
}

// SetCredentials replaces the credentials that the index accepts for every
// host, the ones that Options sets. Empty user and password remove them,
// and the index then requires no credentials unless SetCredential added
// some.
func (idx *Index) SetCredentials(user, pass string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	idx.username, idx.password = user, pass
}

// SetCredential makes the index accept user and password for requests to
// host, besides every credential that it accepts already, as a real index
// accepts those of several users or tokens. A credential with the host and
// name of an earlier one replaces it, as a rotated token replaces the old
// one. An empty host means every host. Once the index has a credential, a
// request to a host without one is rejected. The credential persists in
// Options.Dir.
func (idx *Index) SetCredential(host, name, user, pass string) error {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	if !idx.hostCredentials.set(host, name, user, pass) {
		return nil
	}
	return idx.hostCredentials.save(idx.dir)
}

// SetBehavior replaces the misbehaviours for the following requests.
func (idx *Index) SetBehavior(b Behavior) {
	b.Missing = slices.Clone(b.Missing)
	idx.mu.Lock()
	defer idx.mu.Unlock()
	idx.behavior = b
}

// Close stops the server and closes open connections. It is safe to call
// more than once.
func (idx *Index) Close() error {
	idx.closeOnce.Do(func() {
		idx.closeErr = idx.srv.Close()
		idx.logger.Info("package index stopped", "url", idx.URL())
	})
	return idx.closeErr
}

func (idx *Index) behaviorNow() Behavior {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	return idx.behavior
}

// authorized reports whether r carries a credential that the index accepts
// for the request's host, or whether the index has no credentials at all.
// On the host of a product that accepts only certain user names, it
// rejects a credential with another user name.
// The comparisons take the same time whichever byte differs.
func (idx *Index) authorized(r *http.Request) bool {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	anyHost := idx.username != "" || idx.password != ""
	if !anyHost && len(idx.hostCredentials.Entries) == 0 {
		return true
	}
	gotUser, gotPass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	// Products such as CodeArtifact reject every user name but their own,
	// whatever the password.
	if product, named := indexurl.Identify(&url.URL{Host: hostOf(r), Path: r.URL.Path}); named && !product.AcceptsUser(gotUser) {
		return false
	}
	if anyHost {
		userOK := subtle.ConstantTimeCompare([]byte(gotUser), []byte(idx.username)) == 1
		passOK := subtle.ConstantTimeCompare([]byte(gotPass), []byte(idx.password)) == 1
		if userOK && passOK {
			return true
		}
	}
	return idx.hostCredentials.accepts(hostOf(r), gotUser, gotPass)
}

func isMissing(b Behavior, name string) bool {
	for _, m := range b.Missing {
		if normalize(m) == name {
			return true
		}
	}
	return false
}

// hostOf returns the host part of a request's Host header, without a port,
// for log records.
func hostOf(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return strings.TrimSpace(r.Host)
}
