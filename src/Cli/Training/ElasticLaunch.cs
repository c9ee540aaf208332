using System.Diagnostics;
using System.Runtime.InteropServices;
using Engine.Cli.Commands;
using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// <c>launch</c>: runs <c>train</c> on <see cref="Ranks"/> ranks under MPICH's <c>mpiexec</c> and,
/// when the launch loses a rank, starts it again with as many ranks from the run folder's last
/// committed checkpoint (<c>train ... --resume</c>), up to <see cref="MaxRestarts"/> times, as
/// <c>torchrun --max-restarts</c> does. A resumed run continues to the bit, so a run that lost a
/// rank ends with the weights and logs of one that never did; the steps after the last commit are
/// trained again. Attempts that end by themselves are not repeated: a finished run (0), a run that
/// failed with an error every attempt would meet again (1: bad settings, a diverging loss), a
/// command line that does not parse (2), or a run stopped by a signal (130). Anything else is a
/// lost rank: a rank that saw its peer go (<see cref="ErrorReport.PeerLost"/>), or one ended by a
/// signal (Hydra exits with its number), or the launcher's own failure.
/// </summary>
internal sealed class ElasticLaunch
{
    /// <summary>Ranks to start (<c>mpiexec -n</c>).</summary>
    public required int Ranks { get; init; }

    /// <summary>How many times a launch that lost a rank is started again.</summary>
    public required int MaxRestarts { get; init; }

    /// <summary>The <c>mpiexec</c> to run.</summary>
    public required string Mpiexec { get; init; }

    /// <summary>A hostfile for <c>mpiexec -f</c> (null: Hydra's default, or <c>HYDRA_HOST_FILE</c>).</summary>
    public string? Hostfile { get; init; }

    /// <summary>The <c>train</c> command line, from <c>train</c> on.</summary>
    public required IReadOnlyList<string> Train { get; init; }

    /// <summary>The run folder that command line trains into.</summary>
    public required string Folder { get; init; }

    /// <summary>Longest wait for a rank of a lost attempt to let go of the run folder.</summary>
    public TimeSpan ReleaseTimeout { get; init; } = TimeSpan.FromMinutes(6);

    /// <summary>Runs the attempts; returns the exit code of the last one.</summary>
    public int Run(TextWriter output)
    {
        string last = Path.Combine(Folder, RunFolder.LastFile);
        var before = Stamp(last);
        bool resumeAsked = Train.Contains("--resume");
        int signalled = 0;
        Process? current = null;
        void Forward(PosixSignalContext context)
        {
            // The first SIGINT or SIGTERM ends the restarts; it also reaches the ranks (a terminal sends
            // SIGINT to the whole group; SIGTERM is passed on), which commit a checkpoint and stop.
            if (Interlocked.Increment(ref signalled) > 1)
                return;
            context.Cancel = true;
            if (context.Signal == PosixSignal.SIGTERM && current is { HasExited: false } launch)
                _ = Kill(launch.Id, 15);
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);

        IReadOnlyList<string> arguments = Train;
        for (int attempt = 0; ; attempt++)
        {
            current = Process.Start(StartInfo(arguments)) ?? throw new InvalidOperationException($"launch: could not start {Mpiexec}.");
            current.WaitForExit();
            int code = current.ExitCode;
            current.Dispose();
            current = null;
            string? position = null;
            if (code == 0 && !Unfinished(last, out position))
                return 0;
            if (code is ErrorReport.Failure or ErrorReport.Usage or InterruptSignal.ExitCode || signalled > 0)
                return code;
            string why = code == 0
                ? $"mpiexec exited with 0 but the run stopped {position}"
                : $"mpiexec exited with {code} ({Describe(code)})";
            if (attempt == MaxRestarts)
            {
                output.WriteLine($"launch: {why}; no restart left (--max-restarts {MaxRestarts}).");
                return code == 0 ? ErrorReport.PeerLost : code;
            }
            bool resume = File.Exists(last) && (resumeAsked || Stamp(last) != before);
            arguments = resume ? Resumed(Train) : Train;
            output.WriteLine($"launch: {why}; restart {attempt + 1} of {MaxRestarts}: {Ranks} ranks " +
                (resume ? $"resume from {Describe(last)}" : "start again (nothing was committed yet)"));
            output.Flush();
            WaitForRelease(output);
        }
    }

    private ProcessStartInfo StartInfo(IReadOnlyList<string> train)
    {
        var info = new ProcessStartInfo(Mpiexec) { UseShellExecute = false };
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Hostfile is not null)
        {
            info.ArgumentList.Add("-f");
            info.ArgumentList.Add(Hostfile);
        }
        foreach (string part in SelfCommand())
            info.ArgumentList.Add(part);
        foreach (string argument in train)
            info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>How this tool is started again: the dotnet host and this assembly, or a native launcher or self-contained executable.</summary>
    internal static string[] SelfCommand()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("launch: this process's path is unknown.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(ElasticLaunch).Assembly.Location] : [process];
    }

    /// <summary>The command line that resumes: <c>--resume</c> in place of <c>--overwrite</c>, which would start the run anew.</summary>
    internal static List<string> Resumed(IReadOnlyList<string> train)
    {
        var resumed = new List<string>();
        for (int i = 0; i < train.Count; i++)
        {
            if (train[i] == "--overwrite")
            {
                if (i + 1 < train.Count && train[i + 1] is "true" or "false")
                    i++;
                continue;
            }
            resumed.Add(train[i]);
        }
        if (!resumed.Contains("--resume"))
            resumed.Add("--resume");
        return resumed;
    }

    // A checkpoint file's identity: a commit renames a new file into place, which changes its time.
    private static (bool Exists, DateTime Written, long Length) Stamp(string file) =>
        File.Exists(file) ? (true, File.GetLastWriteTimeUtc(file), new FileInfo(file).Length) : (false, default, 0);

    // After an exit status of 0: whether the checkpoint shows a run short of its end. Hydra can report
    // 0 when every rank ended by a signal (MPICH issue 7057).
    private static bool Unfinished(string last, out string? position)
    {
        position = null;
        if (!File.Exists(last))
            return false; // nothing to resume; train said what happened
        var info = RunFolder.ReadInfo(last);
        var settings = info.CommandLineSettings(last);
        bool stoppedEarly = settings.EarlyStop is int patience && info.Step == 0 && info.Epoch - info.BestEpoch >= patience;
        position = info.Position;
        return info.Epoch < info.Options.Epochs && !stoppedEarly;
    }

    private static string Describe(string last)
    {
        var info = RunFolder.ReadInfo(last);
        return $"the checkpoint {info.Position} ({last})";
    }

    private static string Describe(int code) => code switch
    {
        ErrorReport.PeerLost => "a rank lost its peers",
        > 0 and < 64 => $"a rank was ended by signal {code}",
        255 => "the launcher failed, as Hydra does when a host's proxy goes",
        _ => "a rank or the launcher failed",
    };

    // A rank of the lost attempt may outlive mpiexec for a while (until its peer timeout) and hold the
    // run folder's lock; a new rank 0 would be refused the folder.
    private void WaitForRelease(TextWriter output)
    {
        string lockPath = Path.Combine(Folder, ".lock");
        var clock = Stopwatch.StartNew();
        bool said = false;
        while (true)
        {
            try
            {
                if (!File.Exists(lockPath))
                    return;
                using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                    return;
            }
            catch (IOException) when (clock.Elapsed < ReleaseTimeout)
            {
                if (!said)
                    output.WriteLine($"launch: waiting for the lost attempt's rank 0 to let go of {Folder}");
                said = true;
                Thread.Sleep(200);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
