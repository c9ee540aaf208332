using System.CommandLine;
using Engine.Cli.Commands;

namespace Engine.Cli;

/// <summary>
/// The <c>engine</c> command line: parses, runs one command, and turns every error into one line
/// (see <see cref="ErrorReport"/>): exit 0 on success, 1 when a command fails, 2 when the command
/// line does not parse (or an <c>ENGINE_*</c> variable or an argument's bytes are refused,
/// <see cref="EnvironmentVariables"/>, <see cref="CommandLineText"/>), 130 when a signal stopped a
/// training run at a checkpoint, and 130 or 143 when SIGINT or SIGTERM stopped another command
/// (<see cref="StopSignal"/>).
/// </summary>
internal static class EngineCli
{
    /// <summary>The command a user types (the tool's <c>ToolCommandName</c>), named in help and usage lines.</summary>
    public const string ToolName = "ilgpu-engine";

    /// <summary>Runs the command line <paramref name="args"/> with its output and errors on the given writers.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        var verbose = new Option<bool>("--verbose") { Description = $"Print the stack trace of an error (or set {ErrorReport.VerboseVariable}=1).", Recursive = true };
        // A plain Command named after the tool, not a RootCommand: RootCommand takes its name from the
        // running file (Engine.Cli.dll under `dotnet`), so help would say `Usage: Engine.Cli`.
        var root = new Command(ToolName, "Engine: a deep-learning compute engine for .NET on ILGPU (CUDA, OpenCL, CPU).")
        {
            DevicesCommand.Create(output, errors),
            SelfCheckCommand.Create(output, errors),
            SummaryCommand.Create(output, errors),
            PredictCommand.Create(output, errors),
            TrainCommand.Create(output, errors),
            LaunchCommand.Create(output, errors),
            EvalCommand.Create(output, errors),
            SampleCommand.Create(output, errors),
            SegmentCommand.Create(output, errors),
            ExportCommand.Create(output, errors),
        };
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(verbose);
        try
        {
            var parsed = root.Parse(args);
            ErrorReport.Verbose = EnvironmentVariables.IsOn(Environment.GetEnvironmentVariable(ErrorReport.VerboseVariable)) || parsed.GetValue(verbose);
            if ((EnvironmentVariables.Problem(EnvironmentVariables.Current) ?? CommandLineText.Problem(args)) is string refused)
            {
                errors.WriteLine($"error: {refused}");
                if (Distributed.MpiCommunicator.Launched)
                    Distributed.MpiCommunicator.AbortLaunch(ErrorReport.Usage);
                return ErrorReport.Usage;
            }
            if (parsed.Errors.Count > 0)
            {
                string command = string.Join(" ", parsed.CommandResult.Command.Name == root.Name ? [] : new[] { parsed.CommandResult.Command.Name });
                string problems = string.Join("; ", parsed.Errors.Select(e => FriendlyTypes(e.Message).TrimEnd('.')).Distinct());
                errors.WriteLine($"error: {problems} (see '{(command.Length == 0 ? "" : command + " ")}--help')");
                if (Distributed.MpiCommunicator.Launched)
                    Distributed.MpiCommunicator.AbortLaunch(ErrorReport.Usage); // the other ranks wait in MPI_Init for this one
                return ErrorReport.Usage;
            }
            // No default exception handler (ErrorReport is the handler) and no termination timeout
            // (train handles SIGINT and SIGTERM itself, to commit a checkpoint first).
            // train stops at a checkpoint on a signal (InterruptSignal); the others stop at once, cleanly.
            using var stop = parsed.CommandResult.Command.Name == "train" ? null : StopSignal.Listen(errors);
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null, Output = output, Error = errors });
        }
        catch (Exception e)
        {
            return ErrorReport.Report(errors, e);
        }
    }

    /// <summary>System.CommandLine names .NET types in parse errors; say what a user types instead.</summary>
    internal static string FriendlyTypes(string message) => System.Text.RegularExpressions.Regex.Replace(message,
        @"as expected type '(System\.Nullable`1\[)?System\.(\w+)\]?'",
        m => "as " + m.Groups[2].Value switch
        {
            "Int32" or "Int64" => "an integer",
            "UInt64" or "UInt32" => "a non-negative integer",
            "Single" or "Double" => "a number",
            "Boolean" => "true or false",
            var other => other,
        });
}
