package pyindex

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/repolink/repolink/shared/indexurl"
)

// Media types of the simple repository API.
const (
	typeJSON     = "application/vnd.pypi.simple.v1+json"
	typeHTMLv1   = "application/vnd.pypi.simple.v1+html"
	typeTextHTML = "text/html"
)

// ServeHTTP serves <root>/simple/, <root>/simple/<project>/ and
// <root>/files/<filename>. On a host or path that names an index product,
// such as a CodeArtifact host or an /artifactory/ path, the root must be
// that product's repository root, such as /pypi/<repository>/. On any other
// host the root is any path, as with a plain PEP 503 index.
func (idx *Index) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	idx.serve(rec, r)
	// The log record leaves out the Authorization header and the query,
	// which may carry credentials.
	idx.logger.Debug("package index request", "method", r.Method, "host", hostOf(r),
		"path", r.URL.Path, "status", rec.status)
}

func (idx *Index) serve(w http.ResponseWriter, r *http.Request) {
	b := idx.behaviorNow()

	if b.RejectAuthorization && r.Header.Get("Authorization") != "" {
		http.Error(w, "only one authentication mechanism is allowed", http.StatusBadRequest)
		return
	}
	if !idx.authorized(r) {
		idx.reject(w, b)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	root, rest, ok := indexurl.Split(hostOf(r), r.URL.EscapedPath())
	switch {
	case !ok:
		http.NotFound(w, r)
	case rest == "simple":
		http.Redirect(w, r, root+"simple/", http.StatusMovedPermanently)
	case rest == "simple/":
		idx.serveRoot(w, r, b)
	case strings.HasPrefix(rest, "simple/"):
		idx.serveProject(w, r, b, root, strings.TrimPrefix(rest, "simple/"))
	default:
		idx.serveFile(w, r, b, strings.TrimPrefix(rest, "files/"))
	}
}

func (idx *Index) reject(w http.ResponseWriter, b Behavior) {
	switch b.RejectStatus {
	case 0, http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="sandbox index"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
	default:
		http.Error(w, http.StatusText(b.RejectStatus), b.RejectStatus)
	}
}

func (idx *Index) serveRoot(w http.ResponseWriter, r *http.Request, b Behavior) {
	mediaType, ok := negotiate(r.Header.Get("Accept"), b.HTMLOnly)
	if !ok {
		http.Error(w, "no acceptable media type", http.StatusNotAcceptable)
		return
	}

	var names []string
	for _, n := range idx.names {
		if !isMissing(b, n) {
			names = append(names, n)
		}
	}

	if mediaType == typeJSON {
		type project struct {
			Name string `json:"name"`
		}
		page := struct {
			Meta     map[string]string `json:"meta"`
			Projects []project         `json:"projects"`
		}{Meta: map[string]string{"api-version": "1.0"}, Projects: []project{}}
		for _, n := range names {
			page.Projects = append(page.Projects, project{Name: n})
		}
		writeJSON(w, page)
		return
	}

	var body strings.Builder
	body.WriteString(htmlHead("Simple index"))
	for _, n := range names {
		fmt.Fprintf(&body, "<a href=\"%s/\">%s</a><br/>\n", html.EscapeString(n), html.EscapeString(n))
	}
	body.WriteString("</body>\n</html>\n")
	writeHTML(w, mediaType, body.String())
}

func (idx *Index) serveProject(w http.ResponseWriter, r *http.Request, b Behavior, root, rest string) {
	name := strings.TrimSuffix(rest, "/")
	if name == "" || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	// Like PyPI, redirect a name that is not normalised or lacks the
	// trailing slash to the canonical page.
	if canonical := normalize(name); canonical != name || !strings.HasSuffix(rest, "/") {
		http.Redirect(w, r, root+"simple/"+canonical+"/", http.StatusMovedPermanently)
		return
	}
	wheels, ok := idx.projects[name]
	if !ok || isMissing(b, name) {
		http.NotFound(w, r)
		return
	}

	mediaType, ok := negotiate(r.Header.Get("Accept"), b.HTMLOnly)
	if !ok {
		http.Error(w, "no acceptable media type", http.StatusNotAcceptable)
		return
	}

	type link struct {
		filename, href, sha256, requiresPython string
	}
	links := make([]link, 0, len(wheels))
	for _, wf := range wheels {
		href := "../../files/" + wf.Filename
		if b.InsecureLinks {
			href = "http://" + r.Host + root + "files/" + wf.Filename
		}
		sum := wf.SHA256
		if b.WrongHashes {
			sum = strings.Repeat("0", len(sum))
		}
		links = append(links, link{wf.Filename, href, sum, wf.Dist.RequiresPython})
	}

	if mediaType == typeJSON {
		type file struct {
			Filename       string            `json:"filename"`
			URL            string            `json:"url"`
			Hashes         map[string]string `json:"hashes"`
			RequiresPython string            `json:"requires-python,omitempty"`
		}
		page := struct {
			Meta  map[string]string `json:"meta"`
			Name  string            `json:"name"`
			Files []file            `json:"files"`
		}{Meta: map[string]string{"api-version": "1.0"}, Name: name}
		for _, l := range links {
			page.Files = append(page.Files, file{l.filename, l.href,
				map[string]string{"sha256": l.sha256}, l.requiresPython})
		}
		writeJSON(w, page)
		return
	}

	var body strings.Builder
	body.WriteString(htmlHead("Links for " + name))
	fmt.Fprintf(&body, "<h1>Links for %s</h1>\n", html.EscapeString(name))
	for _, l := range links {
		attr := ""
		if l.requiresPython != "" {
			attr = fmt.Sprintf(" data-requires-python=\"%s\"", html.EscapeString(l.requiresPython))
		}
		fmt.Fprintf(&body, "<a href=\"%s#sha256=%s\"%s>%s</a><br/>\n",
			html.EscapeString(l.href), l.sha256, attr, html.EscapeString(l.filename))
	}
	body.WriteString("</body>\n</html>\n")
	writeHTML(w, mediaType, body.String())
}

func (idx *Index) serveFile(w http.ResponseWriter, r *http.Request, b Behavior, filename string) {
	wf, ok := idx.files[filename]
	if !ok || isMissing(b, normalize(wf.Dist.Project)) {
		http.NotFound(w, r)
		return
	}
	if b.FileRedirect != "" {
		http.Redirect(w, r, b.FileRedirect+filename, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(wf.Data)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(wf.Data)
}

// negotiate picks the response media type for an Accept header. With no
// header, or when only wildcards match, it picks text/html, which every
// client of the simple API understands. It returns false when the header
// excludes all three types.
func negotiate(accept string, htmlOnly bool) (string, bool) {
	if htmlOnly || strings.TrimSpace(accept) == "" {
		return typeTextHTML, true
	}

	// Server preference among types the client rates equally.
	candidates := []string{typeJSON, typeHTMLv1, typeTextHTML}
	best, bestQ, bestExact := "", 0.0, false
	for _, c := range candidates {
		q, exact := quality(accept, c)
		if q <= 0 {
			continue
		}
		if q > bestQ || (q == bestQ && exact && !bestExact) {
			best, bestQ, bestExact = c, q, exact
		}
	}
	if best == "" {
		return "", false
	}
	if !bestExact {
		return typeTextHTML, true
	}
	return best, true
}

// quality returns the q value an Accept header gives mediaType, using the
// most specific matching range, and whether that range named the type
// exactly. The "latest" PEP 691 aliases count as version 1.
func quality(accept, mediaType string) (float64, bool) {
	q, specificity := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		rng := strings.ToLower(strings.TrimSpace(fields[0]))
		rng = strings.Replace(rng, "simple.latest+", "simple.v1+", 1)

		spec := -1
		switch {
		case rng == mediaType:
			spec = 2
		case rng == "*/*":
			spec = 0
		case strings.HasSuffix(rng, "/*") && strings.HasPrefix(mediaType, strings.TrimSuffix(rng, "*")):
			spec = 1
		}
		if spec < specificity || spec < 0 {
			continue
		}

		rangeQ := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					rangeQ = f
				}
			}
		}
		if spec > specificity || rangeQ > q {
			q = rangeQ
		}
		specificity = spec
	}
	return q, specificity == 2
}

func htmlHead(title string) string {
	return "<!DOCTYPE html>\n<html>\n<head>\n" +
		"<meta name=\"pypi:repository-version\" content=\"1.0\">\n" +
		"<title>" + html.EscapeString(title) + "</title>\n</head>\n<body>\n"
}

func writeHTML(w http.ResponseWriter, mediaType, body string) {
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	fmt.Fprint(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", typeJSON)
	w.Header().Set("Vary", "Accept")
	json.NewEncoder(w).Encode(v)
}

// statusRecorder keeps the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
