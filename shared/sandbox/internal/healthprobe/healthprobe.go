// Package healthprobe runs the HTTP health checks of the sandbox load balancers.
package healthprobe

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
)

// HTTPGet sends GET path to host over conn with the load balancer's
// userAgent, and returns an error unless the status is 200-399, as the
// health checks of ELBv2 and Compute Engine accept. The caller sets the
// deadline of conn and closes it.
func HTTPGet(conn net.Conn, host, path, userAgent string) error {
	request := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n",
		path, host, userAgent)
	if _, err := conn.Write([]byte(request)); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 399 {
		return fmt.Errorf("health check returned HTTP %d", resp.StatusCode)
	}
	return nil
}
