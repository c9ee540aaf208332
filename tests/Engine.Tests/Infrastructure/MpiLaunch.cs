namespace Engine.Tests.Infrastructure;

/// <summary>
/// The command-line tool started as ranks by MPICH's <c>mpiexec</c> (which the distributed tests
/// need: they fail, never skip, without it). Each rank runs on one core's worth of threads
/// (<c>DOTNET_PROCESSOR_COUNT=1</c>), and carries a token in its environment by which a test
/// finds its rank processes.
/// </summary>
internal static class MpiLaunch
{
    /// <summary>The environment variable holding a launch's token.</summary>
    public const string TokenVariable = "ENGINETEST_TOKEN"; // not ENGINE_: the tool refuses ENGINE_* variables it does not read

    /// <summary>mpiexec on PATH, or a failed test naming what to install.</summary>
    public static string Mpiexec =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "mpiexec")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mpiexec is not on PATH: the distributed tests need MPICH (Debian: apt-get install mpich; .ci/run installs it).");

    /// <summary>Starts one rank per argument list (MPMD, so ranks may be given different settings), with <paramref name="token"/> in their environment.</summary>
    public static CliProcess Start(string folder, string token, Dictionary<string, string>? environment, params string[][] ranks) =>
        Start(null, folder, token, environment, ranks);

    /// <summary>
    /// As <see cref="Start(string, string, Dictionary{string, string}?, string[][])"/>, across
    /// <paramref name="hosts"/> when given: mpiexec runs in the first host and starts rank r on
    /// host r of its hostfile.
    /// </summary>
    public static CliProcess Start(TwoHosts? hosts, string folder, string token, Dictionary<string, string>? environment, params string[][] ranks)
    {
        var arguments = new List<string>();
        foreach (var args in ranks)
        {
            if (arguments.Count > 0)
                arguments.Add(":");
            arguments.AddRange(["-n", "1"]);
            if (CliProcess.Tool.EndsWith(".dll", StringComparison.Ordinal))
                arguments.AddRange([CliProcess.Dotnet, CliProcess.Tool]);
            else
                arguments.Add(CliProcess.Tool); // a self-contained publish
            arguments.AddRange(args);
        }
        var env = new Dictionary<string, string>(environment ?? []) { ["DOTNET_PROCESSOR_COUNT"] = "1", [TokenVariable] = token };
        return hosts is null ? CliProcess.StartWith(folder, Mpiexec, arguments, env) : hosts.Start(folder, Mpiexec, arguments, env);
    }

    /// <summary>The same arguments on <paramref name="count"/> ranks.</summary>
    public static CliProcess Start(string folder, int count, params string[] args) =>
        Start(folder, Guid.NewGuid().ToString("N"), null, Enumerable.Repeat(args, count).ToArray());

    /// <summary>
    /// Deletes a launch's folder, retrying for up to 10 s: a rank can outlive mpiexec by a moment
    /// (Hydra's SIGTERM is caught to commit a checkpoint, and a rank still in MPI_Init may take its
    /// run folder before it sees the launch is gone).
    /// </summary>
    public static void DeleteFolder(string folder)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 40)
            {
                Thread.Sleep(250);
            }
        }
    }

    /// <summary>The process id of rank <paramref name="rank"/> of the launch with <paramref name="token"/>, or null while it has not started.</summary>
    public static int? FindRank(string token, int rank)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                var variables = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (variables.Contains($"{TokenVariable}={token}") && variables.Contains($"PMI_RANK={rank}"))
                    return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a process that ended meanwhile, or another user's
            }
        }
        return null;
    }
}
