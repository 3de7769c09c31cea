package sfsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Statement type IDs that gosnowflake reads: SELECT and DDL. A SELECT reply
// must carry at least one rowtype entry, because the driver reads the first.
const (
	statementSelect = 4096
	statementDDL    = 20480
)

// SQLError is a failed statement as Snowflake reports it.
type SQLError struct {
	Code     string // six digits, such as "002003"
	SQLState string
	Message  string
}

func (e *SQLError) Error() string { return e.Code + " (" + e.SQLState + "): " + e.Message }

// HTTPError makes a faulted query reply with an HTTP status instead of JSON.
type HTTPError struct {
	Status int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

func compileError(format string, args ...any) *SQLError {
	return &SQLError{Code: "001003", SQLState: "42000", Message: "SQL compilation error:\n" + fmt.Sprintf(format, args...)}
}

func notExistError(kind, name string) *SQLError {
	return &SQLError{Code: "002003", SQLState: "02000", Message: fmt.Sprintf("SQL compilation error:\n%s '%s' does not exist or not authorized.", kind, name)}
}

// noWarehouseError is the failure of a statement that needs a warehouse in
// a session without one. The code, SQL state and message are those that
// Snowflake's drivers print for this error.
func noWarehouseError() *SQLError {
	return &SQLError{Code: "000606", SQLState: "57P03", Message: "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command."}
}

func alreadyExistsError(name string) *SQLError {
	return &SQLError{Code: "002002", SQLState: "42710", Message: fmt.Sprintf("SQL compilation error:\nObject '%s' already exists.", name)}
}

func syntaxError(pos int, what string) *SQLError {
	return compileError("syntax error line 1 at position %d %s.", pos, what)
}

// result is the output of a statement: columns and rows, or a DDL status.
type result struct {
	columns []string
	rows    [][]*string
	ddl     bool
}

func ddlResult(status string) *result {
	return &result{columns: []string{"status"}, rows: [][]*string{{&status}}, ddl: true}
}

func scalarResult(column, value string) *result {
	return &result{columns: []string{column}, rows: [][]*string{{&value}}}
}

type rowType struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Nullable   bool   `json:"nullable"`
	Length     int    `json:"length"`
	ByteLength int    `json:"byteLength"`
	Precision  int    `json:"precision"`
	Scale      int    `json:"scale"`
}

type reply struct {
	Data    any     `json:"data"`
	Code    *string `json:"code"`
	Message *string `json:"message"`
	Success bool    `json:"success"`
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeFailure(w http.ResponseWriter, code, message string, data any) {
	writeJSON(w, reply{Data: data, Code: &code, Message: &message, Success: false})
}

type loginRequest struct {
	Data struct {
		AccountName   string `json:"ACCOUNT_NAME"`
		LoginName     string `json:"LOGIN_NAME"`
		Password      string `json:"PASSWORD"`
		Authenticator string `json:"AUTHENTICATOR"`
		Token         string `json:"TOKEN"`
	} `json:"data"`
}

// Login failure codes and messages as Snowflake sends them.
const (
	codeIncorrectLogin = "390100"
	codeJWTInvalid     = "390144"
	codeRoleNotAllowed = "390189"
	codeSessionGone    = "390111"
	messageIncorrect   = "Incorrect username or password was specified."
	messageJWTInvalid  = "JWT token is invalid."
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "invalid login body", http.StatusBadRequest)
		return
	}
	query := r.URL.Query()

	s.mu.Lock()
	defer s.mu.Unlock()
	account := s.world.Accounts[accountKey(req.Data.AccountName)]
	if account == nil {
		// A wrong account is a wrong host name for real Snowflake; gosnowflake
		// turns a 403 into "verify account name is correct".
		s.log.Warn("login for unknown account", "account", req.Data.AccountName)
		http.Error(w, "account not found", http.StatusForbidden)
		return
	}

	var user *User
	if strings.EqualFold(req.Data.Authenticator, "SNOWFLAKE_JWT") {
		u, err := verifyJWT(account, req.Data.Token)
		if err != nil {
			s.log.Warn("key-pair login rejected", "account", account.Name, "error", err)
			writeFailure(w, codeJWTInvalid, messageJWTInvalid, map[string]any{"nextAction": "RETRY_LOGIN", "authnMethod": "KEYPAIR"})
			return
		}
		user = u
	} else {
		u := account.Users[strings.ToUpper(req.Data.LoginName)]
		if u == nil || !s.passwordMatches(u, req.Data.Password) {
			s.log.Warn("password login rejected", "account", account.Name, "user", req.Data.LoginName)
			writeFailure(w, codeIncorrectLogin, messageIncorrect, nil)
			return
		}
		user = u
	}

	role := user.DefaultRole
	if name := query.Get("roleName"); name != "" {
		role = resolveLoginName(name, account.Roles)
		if account.Roles[role] == nil {
			writeFailure(w, codeRoleNotAllowed, fmt.Sprintf("Role '%s' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.", name), nil)
			return
		}
	}

	s.nextID++
	sess := &session{
		id:        s.nextID,
		account:   account.Name,
		user:      user.Name,
		role:      role,
		functions: map[string]*function{},
	}
	// NOTE: the sandbox assumes that Snowflake accepts a login that names
	// a missing warehouse and leaves the session without one. A login
	// without a warehouse gets the user's default warehouse when it
	// exists. A session that has no warehouse because the login named
	// none still runs the sandbox's functions, where Snowflake fails them.
	if name := query.Get("warehouse"); name != "" {
		if wh := resolveLoginName(name, account.Warehouses); account.Warehouses[wh] != nil {
			sess.warehouse = wh
		} else {
			sess.missingWarehouse = name
		}
	} else if account.Warehouses[user.DefaultWarehouse] != nil {
		sess.warehouse = user.DefaultWarehouse
	}
	// NOTE: Snowflake may reject a missing default database or schema at
	// login; the sandbox leaves the session without one instead.
	if name := query.Get("databaseName"); name != "" {
		db := resolveLoginName(name, account.Databases)
		if d := account.Databases[db]; d != nil {
			sess.database = db
			if name := query.Get("schemaName"); name != "" {
				if sc := resolveLoginName(name, d.Schemas); d.Schemas[sc] != nil {
					sess.schema = sc
				}
			}
		}
	}
	token := randomToken()
	s.sessions[token] = sess
	s.log.Info("login", "account", account.Name, "user", user.Name, "session_id", sess.id)

	writeJSON(w, reply{Success: true, Data: map[string]any{
		"token":                   token,
		"masterToken":             randomToken(),
		"sessionId":               sess.id,
		"validityInSeconds":       3600,
		"masterValidityInSeconds": 14400,
		"parameters":              []any{},
		"sessionInfo": map[string]string{
			"databaseName": sess.database, "schemaName": sess.schema,
			"warehouseName": sess.warehouse, "roleName": sess.role,
		},
	}})
}

// resolveLoginName finds a connect-string name: gosnowflake sends it as
// written, and Snowflake matches it like an unquoted identifier unless it is
// quoted.
func resolveLoginName[T any](name string, objects map[string]T) string {
	if len(name) >= 2 && strings.HasPrefix(name, `"`) && strings.HasSuffix(name, `"`) {
		return strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	if _, ok := objects[strings.ToUpper(name)]; ok {
		return strings.ToUpper(name)
	}
	return name
}

// verifyJWT checks a key-pair login token: the user named in sub, the
// fingerprint in iss against the user's key, the RS256 signature and exp.
// Expiry is checked against the wall clock, because the client signs with
// the wall clock, not the sandbox clock.
func verifyJWT(account *Account, token string) (*User, error) {
	claims := jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		return nil, fmt.Errorf("parse token: %w", err)
	}
	accountName, userName, ok := strings.Cut(claims.Subject, ".")
	if !ok || accountName != account.Name {
		return nil, fmt.Errorf("subject %q does not name account %s", claims.Subject, account.Name)
	}
	user := account.Users[userName]
	if user == nil || user.PublicKey == "" {
		return nil, fmt.Errorf("user %s has no public key", userName)
	}
	key, der, err := user.rsaPublicKey()
	if err != nil {
		return nil, err
	}
	if want := claims.Subject + "." + fingerprint(der); claims.Issuer != want {
		return nil, errors.New("issuer fingerprint does not match the registered public key")
	}

	_, err = jwt.Parse(token, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	return user, nil
}

type queryRequest struct {
	SQLText string `json:"sqlText"`
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "invalid query body", http.StatusBadRequest)
		return
	}
	queryID := randomToken()[:32]

	s.mu.Lock()
	sess := s.sessions[sessionToken(r)]
	fault := s.fault
	s.mu.Unlock()
	if sess == nil {
		writeFailure(w, codeSessionGone, "Session no longer exists.  New login required to access the service.", nil)
		return
	}

	if fault != nil {
		if err := fault(req.SQLText); err != nil {
			var httpErr *HTTPError
			if errors.As(err, &httpErr) {
				s.log.Warn("fault injected", "session_id", sess.id, "status", httpErr.Status)
				w.WriteHeader(httpErr.Status)
				return
			}
			s.writeSQLError(w, sess, queryID, err)
			return
		}
	}

	res, err := s.run(r.Context(), sess, req.SQLText)
	if err != nil {
		s.writeSQLError(w, sess, queryID, err)
		return
	}
	s.writeResult(w, sess, queryID, res)
}

func (s *Server) writeSQLError(w http.ResponseWriter, sess *session, queryID string, err error) {
	var sqlErr *SQLError
	if !errors.As(err, &sqlErr) {
		sqlErr = &SQLError{Code: "000603", SQLState: "XX000", Message: err.Error()}
	}
	s.log.Info("statement failed", "session_id", sess.id, "query_id", queryID, "code", sqlErr.Code)
	writeFailure(w, sqlErr.Code, sqlErr.Message, map[string]any{"sqlState": sqlErr.SQLState, "queryId": queryID})
}

func (s *Server) writeResult(w http.ResponseWriter, sess *session, queryID string, res *result) {
	rowtype := make([]rowType, len(res.columns))
	for i, c := range res.columns {
		rowtype[i] = rowType{Name: c, Type: "text", Nullable: true, Length: 16777216, ByteLength: 16777216}
	}
	rowset := res.rows
	if rowset == nil {
		rowset = [][]*string{}
	}
	statementType := statementSelect
	if res.ddl {
		statementType = statementDDL
	}

	s.mu.Lock()
	data := map[string]any{
		"rowtype":            rowtype,
		"rowset":             rowset,
		"total":              len(rowset),
		"returned":           len(rowset),
		"queryId":            queryID,
		"queryResultFormat":  "json",
		"statementTypeId":    statementType,
		"finalDatabaseName":  sess.database,
		"finalSchemaName":    sess.schema,
		"finalRoleName":      sess.role,
		"finalWarehouseName": sess.warehouse,
	}
	s.mu.Unlock()
	writeJSON(w, reply{Success: true, Data: data})
}

func sessionToken(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, `Snowflake Token="`)
	if !ok {
		return ""
	}
	return strings.TrimSuffix(token, `"`)
}

func (s *Server) handleTelemetry(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]bool{"success": true})
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sess := s.sessions[sessionToken(r)]
	s.mu.Unlock()
	if sess == nil {
		writeFailure(w, codeSessionGone, "Session no longer exists.  New login required to access the service.", nil)
		return
	}
	writeJSON(w, reply{Success: true, Data: map[string]any{}})
}

func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("delete") != "true" {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	token := sessionToken(r)
	if sess := s.sessions[token]; sess != nil {
		s.log.Info("session closed", "session_id", sess.id)
	}
	delete(s.sessions, token)
	s.mu.Unlock()
	writeJSON(w, reply{Success: true, Data: map[string]any{}})
}

// now returns the sandbox clock, truncated to milliseconds like Snowflake
// timestamps.
func (s *Server) now() time.Time {
	return s.opts.Clock().UTC().Truncate(time.Millisecond)
}
