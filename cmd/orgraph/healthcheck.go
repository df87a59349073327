package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck is `orgraph healthcheck`: a container's HEALTHCHECK runs it
// because the runtime image has no curl, and because it reads the same
// ORGRAPH_ADDR as serve, it asks the address the server was told to use.
func healthcheck(ctx context.Context, c *command, args []string, stdout, _ io.Writer) error {
	fs := newFlags(c)
	addr := fs.String("addr", "127.0.0.1:8080", "the `address` serve listens on")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usagef("%s must be positive", fs.origin("timeout"))
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return usagef("%s: %w", fs.origin("addr"), err)
	}
	// A server listening on every interface is asked on loopback, which
	// it listens on too.
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// No proxy from the environment: the server is on this host.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	fmt.Fprintf(stdout, "GET %s: %s\n", url, res.Status)
	return nil
}
