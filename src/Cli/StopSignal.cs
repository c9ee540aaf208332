using System.Runtime.InteropServices;
using Engine.IO;

namespace Engine.Cli;

/// <summary>
/// SIGINT and SIGTERM for the commands other than train (which stops at a checkpoint, see
/// <c>InterruptSignal</c>): the process stops at once, as the signal asks, but first removes the
/// temporary of any output it was writing (no half-written file stays, and no target is replaced
/// afterwards) and says so in one line. The exit code is the shell's 128 + the signal.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly TextWriter _errors;

    private StopSignal(TextWriter errors) => _errors = errors;

    /// <summary>Starts listening; <paramref name="errors"/> gets the one line.</summary>
    public static StopSignal Listen(TextWriter errors)
    {
        var signal = new StopSignal(errors);
        foreach (var kind in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            signal._registrations.Add(PosixSignalRegistration.Create(kind, signal.Handle));
        return signal;
    }

    private void Handle(PosixSignalContext context)
    {
        int removed = AtomicFile.AbandonAll();
        Say(_errors, $"error: {context.Signal}: stopped; {(removed == 0 ? "nothing was being written" : "the unfinished output was removed")} (files written before are complete).");
        // context.Cancel stays false: the runtime ends the process as the signal asks (exit 130 or 143).
    }

    /// <summary>Writes a line from a signal handler; a closed error stream must not keep the process from stopping.</summary>
    internal static void Say(TextWriter errors, string line)
    {
        try
        {
            errors.WriteLine(line);
            errors.Flush();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _registrations.Clear();
    }
}
