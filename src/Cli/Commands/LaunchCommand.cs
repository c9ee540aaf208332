using System.CommandLine;
using Engine.Cli.Training;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>launch -n N [--max-restarts K] [--hostfile F] -- train ...</c>: a data-parallel run on N
/// ranks under MPICH's <c>mpiexec</c> that survives a lost rank by resuming from its last
/// checkpoint (see <see cref="ElasticLaunch"/>).
/// </summary>
internal static class LaunchCommand
{
    /// <summary>The default number of restarts.</summary>
    public const int DefaultMaxRestarts = 3;

    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var ranks = new Option<int>("--ranks", "-n") { Description = "Ranks (processes) to start, as mpiexec -n.", Required = true };
        var maxRestarts = new Option<int>("--max-restarts") { Description = $"Starts again after a lost rank, from the last checkpoint (default {DefaultMaxRestarts}).", DefaultValueFactory = _ => DefaultMaxRestarts };
        var hostfile = new Option<string?>("--hostfile", "-f") { Description = "Hosts to run on, as mpiexec -f (default: this machine, or HYDRA_HOST_FILE)." };
        var mpiexec = new Option<string?>("--mpiexec") { Description = "The mpiexec to run (default: mpiexec on PATH)." };
        var train = new Argument<string[]>("train") { Description = "After --: the train command line (train MODEL [options]), which every rank runs.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("launch", "Train on N ranks under mpiexec; a launch that loses a rank starts again from the last checkpoint, with the bits of an unbroken run.")
        {
            ranks, maxRestarts, hostfile, mpiexec, train,
        };
        command.SetAction(result => ErrorReport.Guard(errors, () => Run(
            result.GetValue(ranks), result.GetValue(maxRestarts), result.GetValue(hostfile), result.GetValue(mpiexec), result.GetValue(train)!, output, errors)));
        return command;
    }

    private static int Run(int ranks, int maxRestarts, string? hostfile, string? mpiexec, string[] train, TextWriter output, TextWriter errors)
    {
        if (ranks < 1)
            throw new ArgumentException($"--ranks must be at least 1, got {ranks}.");
        if (maxRestarts < 0)
            throw new ArgumentException($"--max-restarts must be 0 or more, got {maxRestarts}.");
        if (train[0] != "train")
            throw new ArgumentException($"launch runs train (launch -n {ranks} -- train MODEL ...), not '{train[0]}'.");
        if (hostfile is not null && !File.Exists(hostfile))
            throw new FileNotFoundException($"--hostfile: there is no file '{hostfile}'.", hostfile);
        string program = mpiexec ?? FindOnPath("mpiexec")
            ?? throw new ArgumentException("launch needs MPICH's mpiexec on PATH (Debian: apt-get install mpich) or --mpiexec.");

        // The run folder the ranks train into, read with train's own parser: a restart resumes it.
        var parsed = TrainCommand.Create(TextWriter.Null, TextWriter.Null).Parse(train[1..]);
        if (parsed.Errors.Count > 0)
        {
            errors.WriteLine($"error: launch: the train command line does not parse: {string.Join("; ", parsed.Errors.Select(e => EngineCli.FriendlyTypes(e.Message).TrimEnd('.')))} (see 'train --help')");
            return ErrorReport.Usage;
        }
        var settings = new TrainSettings { Model = TrainSettings.Kind(parsed.GetValue<string>("model")!), Output = parsed.GetValue<string?>("--output") };
        var launch = new ElasticLaunch
        {
            Ranks = ranks,
            MaxRestarts = maxRestarts,
            Mpiexec = program,
            Hostfile = hostfile,
            Train = train,
            Folder = settings.OutputDirectory,
        };
        return launch.Run(output);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
