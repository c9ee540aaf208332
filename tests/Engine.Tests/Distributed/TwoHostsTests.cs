using System.Diagnostics;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Distributed;

/// <summary>
/// The two hosts of the distributed tests (<c>scripts/two-hosts.sh</c>) leave nothing behind,
/// whatever happens: removed by their owner's clean-up, by the script's trap when the command run
/// across them fails or the script is stopped by a signal, and, when the owner was killed before
/// either, by the next owner's start.
/// </summary>
[DeviceIndependent("it makes and removes network namespaces; nothing runs on a device")]
public sealed class TwoHostsTests
{
    [Fact]
    public void TheHostsAreRemovedWhateverHappens()
    {
        // The owner's clean-up.
        var hosts = TwoHosts.Up();
        Assert.True(TwoHosts.Exists(hosts.HostA) && TwoHosts.Exists(hosts.HostB));
        hosts.Dispose();
        Assert.False(TwoHosts.Exists(hosts.HostA) || TwoHosts.Exists(hosts.HostB));

        // The script's trap, after a command that fails: its status is the command's.
        using (var failing = CliProcess.StartWith(AppContext.BaseDirectory, TwoHosts.Script, ["run", "--", "sh", "-c", "ip -br link show eng0 && exit 3"]))
        {
            var (code, output, errors) = failing.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 3, output + errors);
            Assert.Contains("eng0", output);
            Assert.False(TwoHosts.Exists($"eng-{failing.Id}-run-a"));
        }

        // The script's trap, on SIGTERM while the command runs: it and the namespaces go at once.
        using (var stopped = CliProcess.StartWith(AppContext.BaseDirectory, TwoHosts.Script, ["run", "--", "sh", "-c", "echo started; exec sleep 600"]))
        {
            Assert.True(stopped.WaitForOutput("started", TimeSpan.FromSeconds(60)), stopped.Errors);
            Assert.True(TwoHosts.Exists($"eng-{stopped.Id}-run-a"));
            stopped.Signal(CliProcess.SigTerm);
            var clock = Stopwatch.StartNew();
            var (code, _, errors) = stopped.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(code == 143, errors);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
            Assert.False(TwoHosts.Exists($"eng-{stopped.Id}-run-a") || TwoHosts.Exists($"eng-{stopped.Id}-run-b"));
        }

        // An owner killed before any clean-up (SIGKILL: no trap runs): the next start removes its hosts
        // and ends what still ran in them (the sleep, which holds the killed script's output open).
        using var killed = CliProcess.StartWith(AppContext.BaseDirectory, TwoHosts.Script, ["run", "--", "sh", "-c", "echo started; exec sleep 600"]);
        Assert.True(killed.WaitForOutput("started", TimeSpan.FromSeconds(60)), killed.Errors);
        string orphan = $"eng-{killed.Id}-run-a";
        killed.Signal(CliProcess.SigKill);
        var wait = Stopwatch.StartNew();
        while (!killed.HasExited && wait.Elapsed < TimeSpan.FromSeconds(30))
            Thread.Sleep(50);
        Assert.True(killed.HasExited);
        Assert.True(TwoHosts.Exists(orphan));
        using (TwoHosts.Up())
            Assert.False(TwoHosts.Exists(orphan));
        killed.WaitForExit(TimeSpan.FromSeconds(30)); // its output closes with the sleep
    }
}
