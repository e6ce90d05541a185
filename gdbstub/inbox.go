package gdbstub

import "sync"

// maxQueued bounds the events waiting for the serving goroutine. gdb sends
// one packet and waits for the reply (all-stop mode), so a longer queue only
// comes from a client that floods the stub: the reader then waits for room
// (the client's writes wait in the connection), so every packet is answered.
// While Resume runs it cannot wait (it must see a Ctrl-C): what does not fit
// then is dropped, which a client in all-stop mode never causes.
const maxQueued = 64

// inbox passes events from the goroutine that reads the connection to the
// one that serves them. The reader never blocks on it, so it always sees a
// Ctrl-C or a lost connection while Resume runs, and turns them into
// Target.Interrupt at once.
type inbox struct {
	mu      sync.Mutex
	q       []event
	err     error // the reader's final error (io.EOF: the connection closed)
	running bool  // Resume runs
	closed  bool  // the session is over: the reader no longer waits for room
	notify  chan struct{}
	room    chan struct{} // signalled when next takes an event
}

func newInbox() *inbox {
	return &inbox{notify: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// close ends the session's use of the inbox: a reader waiting for room
// stops waiting.
func (b *inbox) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	select {
	case b.room <- struct{}{}:
	default:
	}
}

func (b *inbox) wake() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// put queues ev; an interrupt while Resume runs interrupts the target instead.
func (b *inbox) put(ev event, t Target) {
	b.mu.Lock()
	if ev.kind == evInterrupt && b.running {
		b.mu.Unlock()
		t.Interrupt()
		return
	}
	for len(b.q) >= maxQueued && !b.running && !b.closed {
		b.mu.Unlock()
		<-b.room
		b.mu.Lock()
	}
	if len(b.q) < maxQueued {
		b.q = append(b.q, ev)
	}
	b.mu.Unlock()
	b.wake()
}

// fail records the reader's final error; a lost connection while Resume
// runs interrupts the target.
func (b *inbox) fail(err error, t Target) {
	b.mu.Lock()
	b.err = err
	running := b.running
	b.mu.Unlock()
	if running {
		t.Interrupt()
	}
	b.wake()
}

// next waits for the next event, or returns the reader's error once every
// event before it has been taken.
func (b *inbox) next() (event, error) {
	for {
		b.mu.Lock()
		if len(b.q) > 0 {
			ev := b.q[0]
			n := copy(b.q, b.q[1:])
			b.q[n] = event{}
			b.q = b.q[:n]
			b.mu.Unlock()
			select {
			case b.room <- struct{}{}:
			default:
			}
			return ev, nil
		}
		err := b.err
		b.mu.Unlock()
		if err != nil {
			return event{}, err
		}
		<-b.notify
	}
}

// startRunning marks Resume as running. It reports true when gdb already
// asked to stop: a Ctrl-C came after the packet that resumes (it is taken
// from the queue), or the connection is gone. Resume must then not run.
func (b *inbox) startRunning() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = true
	select { // a reader waiting for room must go back to reading: a Ctrl-C may come
	case b.room <- struct{}{}:
	default:
	}
	stop := b.err != nil
	kept := b.q[:0]
	for _, ev := range b.q {
		if ev.kind == evInterrupt {
			stop = true
			continue
		}
		kept = append(kept, ev)
	}
	clear(b.q[len(kept):])
	b.q = kept
	return stop
}

// stopRunning marks Resume as returned and gives the reader's error, if
// the connection ended meanwhile.
func (b *inbox) stopRunning() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = false
	return b.err
}
