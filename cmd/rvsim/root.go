package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/rvsim/rvsim/vmm"
)

// Version is the rvsim version, written into traces and printed by --version.
const Version = "0.1.0"

// exitSimError is the exit status of rvsim's own failures (bad input file,
// instruction limit, ...), as opposed to the guest's own exit status.
const exitSimError = 125

// app holds what every command shares: streams, logger and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logLevel       string
	logFormat      string
	log            *zap.Logger
	report         *zap.Logger // result lines and stats for --log-format json, whatever the level
	status         int
	term           sync.Mutex // guards progressShown and guestMidLine: the run loop draws the line and writes the guest's output, any goroutine logs
	progressShown  bool       // a --progress line is on the terminal
	guestMidLine   bool       // the guest's last write to the terminal (a progressStream) did not end a line
	args           []string
}

// buildVersion is what --version prints: Version, and the commit the
// binary was built from when the build recorded it (go build or go
// install in a git checkout; go run records none), so that two builds
// can be told apart.
func buildVersion(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return Version
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return Version
	}
	v := Version + " (commit " + rev[:min(len(rev), 12)]
	if at != "" {
		v += " of " + at
	}
	if modified {
		v += ", with uncommitted changes"
	}
	return v + ")"
}

// helpCmd is "rvsim help [COMMAND]": a command's help, or rvsim's; a
// topic that is no command is an error, as "rvsim TOPIC" is.
func helpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help provides help for any command in the application.\nSimply type rvsim help [path to command] for full details.",
		RunE: func(c *cobra.Command, args []string) error {
			cmd, _, err := root.Find(args)
			if err != nil || cmd == nil {
				topic := strings.Join(args, " ")
				return fmt.Errorf("unknown help topic %q: rvsim --help lists the commands", topic)
			}
			return cmd.Help()
		},
	}
}

// exitError carries an exit status out of a command without a message.
type exitError struct{ status int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.status) }

func execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, args: args}
	root := &cobra.Command{
		Use:           "rvsim",
		Short:         "RISC-V RV64 simulator with record and replay of non-deterministic instructions",
		Version:       buildVersion(debug.ReadBuildInfo()),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLog()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	pf := root.PersistentFlags()
	pf.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	pf.StringVar(&a.logFormat, "log-format", "console", "log format: console or json")
	root.AddCommand(a.runCmd(), a.recordCmd(), a.replayCmd(), a.inspectCmd(), a.debugCmd())
	root.SetHelpCommand(helpCmd(root))
	root.SetFlagErrorFunc(flagError)
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(flagError)
	}
	err := root.Execute()
	// However a command ended, no progress line stays before what rvsim
	// prints last, or the shell's prompt. The commands erase it where
	// their runs end; this is a guard, and writes nothing when no line
	// is shown.
	a.eraseProgress()
	if a.log != nil {
		a.log.Sync()
	}
	var ee *exitError
	switch {
	case err == nil:
		return a.status
	case errors.As(err, &ee):
		return ee.status
	}
	a.fatal(err)
	return exitSimError
}

// fatal prints rvsim's one-line error message: a line starting "rvsim:",
// or with --log-format json a JSON object whose msg is the message (even
// when the failure came before the logger was set up, such as a bad flag).
func (a *app) fatal(err error) {
	msg := sanitize(strings.ReplaceAll(unknownCommand(err.Error()), "\n", " "))
	if a.log == nil && a.logFormat != "json" && leadingLogFormat(a.args) == "json" {
		a.logFormat = "json" // cobra failed before it parsed the flag (an unknown command)
	}
	if a.logFormat == "json" {
		if a.log == nil {
			level := a.logLevel
			a.logLevel = "error" // the flag itself may be what failed
			a.setupLog()
			a.logLevel = level
		}
		if a.log != nil {
			a.log.Error(msg)
			a.log.Sync()
			return
		}
	}
	a.ownLine()
	fmt.Fprintln(a.stderr, "rvsim: "+msg)
}

// flagError words a flag that pflag could not parse without Go's parser
// internals: `invalid argument "-1" for "--max-insns" flag:
// strconv.ParseUint: parsing "-1": invalid syntax` becomes `--max-insns
// "-1": invalid syntax: want a whole number` (one line, the flag first).
// An unknown flag is told where the flags are listed.
func flagError(c *cobra.Command, err error) error {
	m := flagErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		if strings.HasPrefix(err.Error(), "unknown flag") || strings.HasPrefix(err.Error(), "unknown shorthand flag") {
			return fmt.Errorf("%w (%s --help lists the flags)", err, c.CommandPath())
		}
		return err
	}
	want := ""
	switch {
	case m[2] == "--nd-buffer" && strings.Contains(m[3], "ParseUint"):
		want = fmt.Sprintf(": want 1 to %d entries", vmm.MaxNDBuffer)
	case strings.Contains(m[3], "ParseUint"):
		want = ": want a whole number from 0"
	case strings.Contains(m[3], "ParseBool"):
		want = ": want true or false"
	case strings.Contains(m[3], "time: "):
		want = ": want a duration such as 30s or 2m"
	}
	reason := m[3]
	if i := strings.LastIndex(reason, ": "); i >= 0 {
		reason = reason[i+2:]
	}
	return fmt.Errorf("%s %s: %s%s", m[2], m[1], reason, want)
}

// unknownCommand words cobra's error for an unknown command on one line
// (cobra's has blank lines and a tab before each suggestion): `unknown
// command "runn" for "rvsim"\n\nDid you mean this?\n\trun\n` becomes
// `unknown command "runn": did you mean "run"? (rvsim --help lists the
// commands)`. Other messages are returned as they are.
func unknownCommand(msg string) string {
	m := unknownCmdRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	var quoted []string
	for _, s := range strings.Fields(m[2]) {
		quoted = append(quoted, strconv.Quote(s))
	}
	hint := "rvsim --help lists the commands"
	if n := len(quoted); n > 0 {
		alts := quoted[n-1]
		if n > 1 {
			alts = strings.Join(quoted[:n-1], ", ") + " or " + alts
		}
		hint = "did you mean " + alts + "? (" + hint + ")"
	}
	return fmt.Sprintf("unknown command %s: %s", m[1], hint)
}

var unknownCmdRE = regexp.MustCompile(`^unknown command ("(?:[^"\\]|\\.)*") for "[^"]*"\s*(?:Did you mean this\?\s*((?s:.*)))?$`)

var flagErrRE = regexp.MustCompile(`^invalid argument ("(?:[^"\\]|\\.)*") for "([^"]+)" flag: (.*)$`)

func (a *app) setupLog() error {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	ec := zap.NewProductionEncoderConfig()
	var enc zapcore.Encoder
	switch a.logFormat {
	case "json":
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec.TimeKey, ec.CallerKey = "", ""
		ec.ConsoleSeparator = " "
		ec.EncodeLevel = func(l zapcore.Level, pe zapcore.PrimitiveArrayEncoder) {
			pe.AppendString("rvsim: " + l.String() + ":")
		}
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return fmt.Errorf("--log-format %q: want console or json", a.logFormat)
	}
	sink := zapcore.AddSync(logSink{a})
	a.log = zap.New(cleanCore{zapcore.NewCore(enc, sink, lvl)})
	a.report = zap.New(cleanCore{zapcore.NewCore(enc, sink, zapcore.InfoLevel)})
	return nil
}

// machineFlags are the flags every command that runs a guest shares.
type machineFlags struct {
	mem      string
	maxInsns uint64
	timeout  time.Duration
	stats    bool
	progress bool
	fsRoot   string
	sysroot  string
	env      []string
	engine   engineFlag
}

func (f *machineFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.mem, "mem", "256M", "guest memory size: a whole number of 4 KiB pages, in bytes or with a K, M, G or T suffix, up to 128T")
	fl.Uint64Var(&f.maxInsns, "max-insns", 0, "stop with an error after this many instructions (0: no limit)")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop with an error after this much wall-clock time, e.g. 30s (0: no limit)")
	stats := "print instructions, wall and CPU time and MIPS on stderr at the end, and the engine"
	if cmd.Name() == "record" {
		stats += ", the events, exits, their modelled cost and the trace's bytes"
	}
	fl.BoolVar(&f.stats, "stats", false, stats)
	fl.BoolVar(&f.progress, "progress", false, "show a progress line, redrawn about once a second, when stderr is a terminal")
	fl.StringVar(&f.fsRoot, "fs", "", "directory whose files the guest may open read-only (default: none)")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=VALUE for the guest environment (repeatable)")
	f.engine.register(cmd, false)
	fl.StringVarP(&f.sysroot, "sysroot", "L", "", "directory of the target's libraries, where a dynamic program's interpreter and libraries are found, as qemu-riscv64's -L (default: $"+sysrootEnv+", else "+vmm.DefaultSysroot+" if it exists)")
}

// sysrootEnv names the environment variable that gives the sysroot when
// -L does not, as QEMU_LD_PREFIX does for qemu-riscv64.
const sysrootEnv = "RVSIM_LD_PREFIX"

// sysrootDir returns the sysroot to use: -L, else $RVSIM_LD_PREFIX, else
// vmm.DefaultSysroot if it is a directory, else none ("").
func (f *machineFlags) sysrootDir() (string, error) { return sysrootDir(f.sysroot) }

// sysrootDir returns the sysroot that -L flag gives (flag), or
// $RVSIM_LD_PREFIX if flag is "", or vmm.DefaultSysroot if neither is
// given and it is a directory, else none (""); a directory given that is
// not one is an error.
func sysrootDir(flag string) (string, error) {
	dir, what := flag, "-L"
	if dir == "" {
		dir, what = os.Getenv(sysrootEnv), sysrootEnv
	}
	if dir == "" {
		if fi, err := os.Stat(vmm.DefaultSysroot); err == nil && fi.IsDir() {
			return vmm.DefaultSysroot, nil
		}
		return "", nil
	}
	if err := isDir(dir); err != nil {
		return "", fmt.Errorf("%s %q: %w", what, dir, err)
	}
	return dir, nil
}

// isDir returns nil if dir is a directory, else why not, in words: "no
// such directory", "not a directory", or the error of looking at it.
func isDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such directory")
	case err != nil:
		return err
	case !fi.IsDir():
		return errors.New("not a directory")
	}
	return nil
}

func (f *machineFlags) config(a *app, prog *vmm.Program, args []string) (vmm.Config, error) {
	mem, err := parseSize(f.mem)
	if err != nil {
		return vmm.Config{}, fmt.Errorf("--mem: %w", err)
	}
	for _, e := range f.env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return vmm.Config{}, fmt.Errorf("--env %q: want KEY=VALUE with a non-empty KEY", e)
		}
	}
	if f.timeout < 0 {
		return vmm.Config{}, fmt.Errorf("--timeout %v: want a duration from 0 (no limit)", f.timeout)
	}
	if f.fsRoot != "" {
		if err := isDir(f.fsRoot); err != nil {
			return vmm.Config{}, fmt.Errorf("--fs %q: %w", f.fsRoot, err)
		}
	}
	sysroot, err := f.sysrootDir()
	if err != nil {
		if prog.Interp != "" {
			return vmm.Config{}, err
		}
		// A static program needs no sysroot: a missing one is no error,
		// as under qemu-riscv64 -L.
		sysroot = ""
	}
	return vmm.Config{
		Sysroot:  sysroot,
		MemSize:  mem,
		MaxInsns: f.maxInsns,
		Timeout:  f.timeout,
		Args:     append([]string{prog.Path}, args...),
		Env:      f.env,
		FSRoot:   f.fsRoot,
		Stdin:    a.stdin,
		Stdout:   a.stdout,
		Stderr:   a.stderr,
		Log:      a.log,
		Engine:   f.engine.name,
	}, nil
}

// parseSize reads a byte count with an optional K, M, G or T suffix
// (powers of 1024, optionally followed by "iB" or "B"): a whole number of
// pages from 4K to 128T, as vmm.CheckMemSize has it.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift != 0 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil || v > vmm.MaxMemory>>shift || vmm.CheckMemSize(v<<shift) != nil {
		return 0, fmt.Errorf("%q is not a whole number of 4K pages from 4K to 128T (for example 256M)", s)
	}
	return v << shift, nil
}

// argCount checks that a command has from min to max arguments (max < 0:
// no limit), and says what it wants with the command's usage line.
func argCount(min, max int, usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < min && min == 1 && max < 0:
			return fmt.Errorf("%s: no program given: usage: %s", cmd.Name(), usage)
		case len(args) < min && min == max:
			return fmt.Errorf("%s: %d arguments, want %d: usage: %s", cmd.Name(), len(args), min, usage)
		case len(args) < min:
			return fmt.Errorf("%s: %d arguments, want at least %d: usage: %s", cmd.Name(), len(args), min, usage)
		case max >= 0 && len(args) > max:
			hint := ""
			if cmd.Name() == "inspect" {
				hint = ` (--data takes its value after "=", as in --data=5)`
			}
			want := "at most "
			if min == max {
				want = ""
			}
			return fmt.Errorf("%s: %d arguments (%q), want %s%d: usage: %s%s", cmd.Name(), len(args), args, want, max, usage, hint)
		}
		return nil
	}
}

// leadingLogFormat returns the value of a --log-format flag among the
// leading flags of args (before the first word that is neither a flag, the
// value of --log-format or --log-level, nor a command name), or "".
func leadingLogFormat(args []string) string {
	format, command := "", false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return format
		case a == "--log-format" || a == "--log-level":
			if i+1 < len(args) {
				if a == "--log-format" {
					format = args[i+1]
				}
				i++
			}
		case strings.HasPrefix(a, "--log-format="):
			format = strings.TrimPrefix(a, "--log-format=")
		case strings.HasPrefix(a, "-"):
		case !command:
			command = true // the command's name, known or not
		default:
			return format
		}
	}
	return format
}
