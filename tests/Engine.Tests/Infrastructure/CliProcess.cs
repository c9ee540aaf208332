using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// The command-line tool run as a separate process (<c>dotnet Engine.Cli.dll ...</c>, built beside
/// the tests, or <c>Engine.Cli ...</c> in a self-contained publish), for what only a process
/// shows: output of two independent runs, signals, kills.
/// </summary>
internal sealed partial class CliProcess : IDisposable
{
    public const int SigKill = 9, SigInt = 2, SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new(), _errors = new();

    private CliProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Starts the tool with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static CliProcess Start(string workingDirectory, params string[] arguments) =>
        SelfContained ? StartWith(workingDirectory, Tool, arguments) : StartWith(workingDirectory, Dotnet, [Tool, .. arguments]);

    /// <summary>Starts the tool with <paramref name="environment"/> added to this process's.</summary>
    public static CliProcess Start(string workingDirectory, Dictionary<string, string> environment, params string[] arguments) =>
        SelfContained ? StartWith(workingDirectory, Tool, arguments, environment) : StartWith(workingDirectory, Dotnet, [Tool, .. arguments], environment);

    /// <summary>
    /// Starts this test assembly's own runner (xunit v3 builds the tests as an executable) with
    /// <paramref name="arguments"/>, e.g. <c>-method NAME</c>: a test that needs a process of its
    /// own (its resident memory not shared with the tests running beside it).
    /// </summary>
    public static CliProcess StartTests(string workingDirectory, Dictionary<string, string> environment, params string[] arguments) =>
        SelfContained
            ? StartWith(workingDirectory, Path.Combine(AppContext.BaseDirectory, "Engine.Tests"), arguments, environment)
            : StartWith(workingDirectory, Dotnet, ["exec", typeof(CliProcess).Assembly.Location, .. arguments], environment);

    /// <summary>Starts <paramref name="program"/> (e.g. a shell wrapping the tool).</summary>
    public static CliProcess StartWith(string workingDirectory, string program, IEnumerable<string> arguments, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in arguments)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("ENGINE_VERBOSE");
        foreach (var (name, value) in environment ?? [])
            info.Environment[name] = value;
        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}."));
    }

    /// <summary>Runs the tool to its end (or fails the test after <paramref name="timeout"/>).</summary>
    public static (int ExitCode, string Output, string Errors) Run(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(workingDirectory, arguments);
        return process.WaitForExit(timeout);
    }

    /// <summary>Runs the tool with <paramref name="environment"/> added to this process's, to its end.</summary>
    public static (int ExitCode, string Output, string Errors) Run(string workingDirectory, TimeSpan timeout, Dictionary<string, string> environment, params string[] arguments)
    {
        using var process = Start(workingDirectory, environment, arguments);
        return process.WaitForExit(timeout);
    }

    /// <summary>The dotnet host running the tests (the SDK's, or the one on PATH).</summary>
    public static string Dotnet
    {
        get
        {
            string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (host is not null && File.Exists(host))
                return host;
            string? self = Environment.ProcessPath;
            return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }
    }

    /// <summary>
    /// The tool: its assembly, copied beside the tests by the project reference, run by <see cref="Dotnet"/>;
    /// or, where the tests run as a self-contained publish with the tool published beside them
    /// (scripts/gpu-check.sh: no .NET SDK there), the tool's own executable, which needs no host.
    /// </summary>
    public static string Tool => Path.Combine(AppContext.BaseDirectory, SelfContained ? "Engine.Cli" : "Engine.Cli.dll");

    /// <summary>The command line that starts the tool in a shell, quoted.</summary>
    public static string ShellCommand => SelfContained ? $"\"{Tool}\"" : $"\"{Dotnet}\" \"{Tool}\"";

    /// <summary>Whether the runtime itself lies beside the tests (a self-contained publish).</summary>
    private static bool SelfContained =>
        Path.GetDirectoryName(typeof(object).Assembly.Location) is string runtime &&
        Path.GetFullPath(runtime).TrimEnd('/') == Path.GetFullPath(AppContext.BaseDirectory).TrimEnd('/');

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether it has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>What it printed so far.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>What it printed on standard error so far.</summary>
    public string Errors
    {
        get { lock (_errors) return _errors.ToString(); }
    }

    /// <summary>Sends a POSIX signal.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0 && !_process.HasExited)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Sends a POSIX signal to any process; returns kill's result (0: sent).</summary>
    public static int KillProcess(int pid, int signal) => Kill(pid, signal);

    /// <summary>Waits until it has printed <paramref name="text"/> (true) or ended or timed out (false).</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
                return true;
            if (_process.HasExited)
                return Output.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>Waits for the end; a process still running after <paramref name="timeout"/> is killed and the test fails.</summary>
    public (int ExitCode, string Output, string Errors) WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"The command did not end within {timeout}. Output so far:\n{Output}\n{Errors}");
        }
        _process.WaitForExit(); // drains the output readers
        return (_process.ExitCode, Output, Errors);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
