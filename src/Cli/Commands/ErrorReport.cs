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

    /// <summary>The environment variable that asks for stack traces.</summary>
    public const string VerboseVariable = "ENGINE_VERBOSE";

    /// <summary>Whether stack traces are printed (set from <c>--verbose</c>).</summary>
    public static bool Verbose { get; set; } = Environment.GetEnvironmentVariable(VerboseVariable) is "1" or "true";

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
        string message = OneLine(error.Message);
        return error switch
        {
            OutOfDeviceMemoryException => $"{message}; lower --batch-size (or the model's width).",
            OutOfMemoryException or InsufficientMemoryException => $"out of host memory ({message}); lower --batch-size or use a smaller model.",
            UnauthorizedAccessException => $"permission denied: {message}",
            FileNotFoundException or DirectoryNotFoundException or PathTooLongException => message,
            IOException io when IsDiskFull(io) => $"the disk is full: {message} (what was committed before is intact).",
            IOException => message,
            InvalidDataException or ArgumentException or DeviceNotFoundException => message,
            OverflowException => $"a size is too large to compute: {message}",
            JsonException => $"damaged JSON: {message}",
            ILGPU.Runtime.AcceleratorException => $"device error: {message}",
            OperationCanceledException => "cancelled.",
            _ => $"internal error ({error.GetType().Name}): {message}{(Verbose ? "" : $" (run with --verbose or {VerboseVariable}=1 for the stack trace)")}",
        };
    }

    private static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 /* ENOSPC */ or 27 /* EFBIG */ or 0x70 /* ERROR_DISK_FULL */ or 0x27 /* ERROR_HANDLE_DISK_FULL */
        || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("File too large", StringComparison.OrdinalIgnoreCase);

    private static string OneLine(string text) => string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
