package localstack

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Restart kills moto (SIGKILL, like a crash) and starts it again on the same
// port, so that m.URL and every client configured with it stay valid. moto
// keeps no state across a restart: buckets, queues and messages are gone and
// the caller recreates what it needs. Restart returns once the new server
// answers, or an error (for example when the port could not be bound again).
func (m *Moto) Restart(ctx context.Context) error {
	u, err := url.Parse(m.URL)
	if err != nil || u.Port() == "" {
		return fmt.Errorf("restart moto: no port in URL %q", m.URL)
	}
	argv, err := Command()
	if err != nil {
		return err
	}
	m.Stop()
	argv = append(argv, "-H", u.Hostname(), "-p", u.Port())

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for attempt := 1; ; attempt++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		stderr, err := cmd.StderrPipe()
		if err != nil {
			return err
		}
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("restart moto (%s): %w", strings.Join(argv, " "), err)
		}
		out := &lockedBuffer{}
		exited := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				out.WriteLine(sc.Text())
			}
			close(exited)
		}()
		m.cmd, m.out = cmd, out
		for {
			if resp, err := http.Get(m.URL + "/moto-api/data.json"); err == nil {
				resp.Body.Close()
				return nil
			}
			select {
			case <-exited: // could not bind (port not yet free) or crashed: try again
			case <-ctx.Done():
				m.Stop()
				return fmt.Errorf("restart moto on %s: %w: %s", m.URL, ctx.Err(), out.Tail())
			case <-time.After(50 * time.Millisecond):
				continue
			}
			break
		}
		_ = cmd.Wait()
		if !sleep(ctx, time.Duration(attempt)*200*time.Millisecond) {
			return fmt.Errorf("restart moto on %s: %w: %s", m.URL, ctx.Err(), out.Tail())
		}
	}
}
