package httpapi

// OnOwnStack runs f on a new goroutine and waits for it. A goroutine keeps
// the stack it once grew: a message's or a job's goroutine lives for
// minutes, mostly waiting, while an AWS SDK or net/http call is deep.
// Thousands of them in flight paid for those stacks until deep calls ran on
// short-lived goroutines, whose stacks go with them.
func OnOwnStack[T any](f func() (T, error)) (T, error) {
	var (
		v    T
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		v, err = f()
	}()
	<-done
	return v, err
}
