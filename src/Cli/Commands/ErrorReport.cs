using System.Text.Json;
using Engine.Devices;

namespace Engine.Cli.Commands;

/// <summary>
/// The command line's one handler for what goes wrong: every exception becomes one line on the
/// error stream (the stack trace follows only with <c>--verbose</c> or <c>ENGINE_VERBOSE=1</c>)
/// and exit code 1; usage errors, found while parsing, exit with 2.
/// </summary>
internal static class ErrorReport
{
    /// <summary>Exit code of a failed command.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int Usage = 2;

    /// <summary>
    /// Exit code of a data-parallel rank whose peers stopped answering or whose transport failed
    /// (sysexits' EX_TEMPFAIL: the same command may succeed when tried again), which <c>launch</c>
    /// restarts from the last checkpoint, unlike <see cref="Failure"/>.
    /// </summary>
    public const int PeerLost = 75;

    /// <summary>The environment variable that asks for stack traces.</summary>
    public const string VerboseVariable = "ENGINE_VERBOSE";

    /// <summary>Whether stack traces are printed (set from <c>--verbose</c>).</summary>
    public static bool Verbose { get; set; } = EnvironmentVariables.IsOn(Environment.GetEnvironmentVariable(VerboseVariable));

    /// <summary>Runs a command's body; any exception is reported as one line and exit code 1.</summary>
    public static int Guard(TextWriter errors, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Report(errors, e);
        }
    }

    /// <summary>Writes the line for <paramref name="error"/> (and, when verbose, its stack trace); returns 1.</summary>
    public static int Report(TextWriter errors, Exception error)
    {
        errors.WriteLine($"error: {Describe(error)}");
        if (Verbose)
            errors.WriteLine(error.ToString());
        return Failure;
    }

    /// <summary>One line that says what went wrong, in the user's terms.</summary>
    public static string Describe(Exception error)
    {
        string message = OneLine(WithoutParameter(error));
        return error switch
        {
            OutOfDeviceMemoryException => $"{message}; lower --batch-size (or the model's width).",
            OutOfMemoryException or InsufficientMemoryException => $"out of host memory ({message}); lower --batch-size or use a smaller model.",
            UnauthorizedAccessException => $"permission denied: {message}",
            FileNotFoundException or DirectoryNotFoundException or PathTooLongException => message,
            IOException io when IsDiskFull(io) => $"the disk is full: {message} (what was committed before is intact).",
            IOException => message,
            // ArgumentOutOfRange and ArgumentNull come from code, never from a user's value (those are plain ArgumentExceptions): a bug.
            ArgumentOutOfRangeException or ArgumentNullException => Internal(error, message),
            InvalidDataException or ArgumentException or DeviceNotFoundException => message,
            OverflowException => $"a size is too large to compute: {message}",
            JsonException => $"damaged JSON: {message}",
            ILGPU.Runtime.AcceleratorException => $"device error: {message}",
            OperationCanceledException => "cancelled.",
            _ => Internal(error, message),
        };
    }

    /// <summary>
    /// .NET ends the message of an <see cref="ArgumentException"/> that names its parameter with
    /// <c>(Parameter 'name')</c>: the name of a variable in the engine's code, not of anything the
    /// user typed. The message proper says what was wrong and with which option.
    /// </summary>
    private static string WithoutParameter(Exception error) =>
        error is ArgumentException { ParamName: { } name } argument && argument.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? argument.Message[..^$" (Parameter '{name}')".Length]
            : error.Message;

    private static string Internal(Exception error, string message) =>
        $"internal error (a bug in the engine): {message}{(Verbose ? "" : $" (run with --verbose or {VerboseVariable}=1 for the stack trace)")}";

    /// <summary>
    /// A full disk, a quota or a file-size limit: on Unix .NET puts the errno in HResult (ENOSPC 28,
    /// EFBIG 27, EDQUOT 122); on Windows the HRESULTs of ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL.
    /// </summary>
    private static bool IsDiskFull(IOException e) => OperatingSystem.IsWindows()
        ? e.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027)
        : e.HResult is 28 or 27 or 122;

    private static string OneLine(string text) => string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
