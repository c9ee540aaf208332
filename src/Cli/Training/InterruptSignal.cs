using System.Runtime.InteropServices;

namespace Engine.Cli.Training;

/// <summary>
/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a request the training loop sees after its
/// current step, so it can commit a checkpoint and exit; a second signal ends the process at once,
/// as usual. While listening, the runtime's default (immediate termination) is held back.
/// </summary>
internal sealed class InterruptSignal : IDisposable
{
    /// <summary>The exit code of an interrupted run (128 + SIGINT, the shell's convention).</summary>
    public const int ExitCode = 130;

    private readonly List<PosixSignalRegistration> _registrations = new();
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TextWriter? _notice;
    private int _signals;

    private InterruptSignal(TextWriter? notice) => _notice = notice;

    /// <summary>Starts listening for SIGINT and SIGTERM; <paramref name="notice"/> gets one line when the first arrives.</summary>
    public static InterruptSignal Listen(TextWriter? notice)
    {
        var signal = new InterruptSignal(notice);
        foreach (var kind in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            signal._registrations.Add(PosixSignalRegistration.Create(kind, signal.Handle));
        return signal;
    }

    /// <summary>A signal that only <see cref="Request"/> raises (library callers, tests).</summary>
    public static InterruptSignal Manual() => new(null);

    /// <summary>Cancelled by the first signal: what the library's loop watches.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Asks the loop to stop after its current step.</summary>
    public void Request()
    {
        Interlocked.Increment(ref _signals);
        _cancellation.Cancel();
    }

    private void Handle(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1)
        {
            // The second signal: the runtime ends the process now; the checkpoint being written, if
            // any, is removed rather than left half-written (the last committed one is intact).
            int removed = Engine.IO.AtomicFile.AbandonAll();
            if (_notice is not null)
                StopSignal.Say(_notice, $"error: {context.Signal} again: stopped at once{(removed == 0 ? "" : "; the unfinished write was removed")}; the last committed checkpoint is intact.");
            return;
        }
        context.Cancel = true;
        _cancellation.Cancel();
        try
        {
            _notice?.WriteLine($"{context.Signal}: finishing this step and saving a checkpoint (send it again to stop at once)");
        }
        catch (IOException)
        {
            // a closed error stream must not end the run before its checkpoint
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _registrations.Clear();
        _cancellation.Dispose();
    }
}
