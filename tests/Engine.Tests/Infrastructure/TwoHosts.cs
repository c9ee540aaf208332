using System.Text.Json;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// Two hosts on this machine for the distributed tests (<c>scripts/two-hosts.sh</c>, copied beside
/// the tests): two network namespaces joined by a veth pair whose addresses exist only inside them,
/// with no route out. A launch started through <see cref="Start"/> runs in the first; its
/// <c>mpiexec</c> reads a hostfile naming both addresses and starts the second host's rank through
/// the script, which stands in for ssh; the ranks exchange over TCP on the veth. The namespaces are
/// removed by <see cref="Dispose"/> (after ending what still runs in them), and, should this
/// process be killed before that, by the next <c>up</c> of any owner, which removes namespaces
/// whose owning process has ended. Needs root and iproute2: the tests fail, never skip, without.
/// </summary>
internal sealed class TwoHosts : IDisposable
{
    private static int s_made;
    private bool _disposed;

    private TwoHosts(string name) => Name = name;

    /// <summary>The script, beside the tests.</summary>
    public static string Script => Path.Combine(AppContext.BaseDirectory, "two-hosts.sh");

    /// <summary>The pair's name: <c>eng-PID-N</c> (this process's id, a counter); the hosts are <see cref="HostA"/> and <see cref="HostB"/>.</summary>
    public string Name { get; }

    /// <summary>The namespace the launcher and rank 0 run in.</summary>
    public string HostA => Name + "-a";

    /// <summary>The other namespace, started through the launcher.</summary>
    public string HostB => Name + "-b";

    /// <summary>Makes two hosts, or fails the test naming what is missing.</summary>
    public static TwoHosts Up()
    {
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/bin/ip"))
            throw new InvalidOperationException("the two-host tests need iproute2's ip (Debian: apt-get install iproute2; .ci/run installs it).");
        var hosts = new TwoHosts($"eng-{Environment.ProcessId}-{Interlocked.Increment(ref s_made)}");
        var (code, output) = Run(Script, "up", hosts.Name);
        if (code != 0)
        {
            hosts.Dispose();
            throw new InvalidOperationException($"two-hosts.sh up failed ({code}); the two-host tests make network namespaces and need root: {output}");
        }
        return hosts;
    }

    /// <summary>Starts <paramref name="program"/> in <see cref="HostA"/>, where an mpiexec launches across both hosts.</summary>
    public CliProcess Start(string folder, string program, IEnumerable<string> arguments, Dictionary<string, string>? environment) =>
        CliProcess.StartWith(folder, Script, ["exec", Name, "--", program, .. arguments], environment);

    /// <summary>Bytes <see cref="HostB"/>'s end of the veth has received so far.</summary>
    public long BytesReceivedByB()
    {
        var (code, output) = Run("ip", "-n", HostB, "-s", "-j", "link", "show", "eng0");
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        return json.RootElement[0].GetProperty("stats64").GetProperty("rx").GetProperty("bytes").GetInt64();
    }

    /// <summary>The namespace a process runs in (null: the machine's own, or it has ended).</summary>
    public static string? NamespaceOf(int pid)
    {
        var (code, output) = Run("ip", "netns", "identify", pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return code == 0 && output.Trim().Length > 0 ? output.Trim() : null;
    }

    /// <summary>Whether a namespace has a route to <paramref name="address"/> (<c>ip route get</c>).</summary>
    public static bool HasRoute(string ns, string address) => Run("ip", "-n", ns, "route", "get", address).Code == 0;

    /// <summary>Whether a namespace of that name exists.</summary>
    public static bool Exists(string ns) => Run("ip", "netns", "list").Output.Split('\n').Any(line => line.Split(' ')[0] == ns);

    /// <summary>Ends what still runs in the two namespaces and removes them.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Run(Script, "down", Name);
    }

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        using var process = CliProcess.StartWith(AppContext.BaseDirectory, program, arguments);
        var (code, output, errors) = process.WaitForExit(TimeSpan.FromSeconds(60));
        return (code, output + errors);
    }
}
