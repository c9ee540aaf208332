using System.Security.Cryptography;
using Engine.Checkpoints;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.IO;
using Engine.Training;

namespace Engine.Tests.Cli;

public sealed partial class HostileInputTests
{
    private sealed partial class Context
    {
        /// <summary>Every file under the case's folder and the shared trained run, with what it is: its content's hash, a link's target, or its kind.</summary>
        public Dictionary<string, string> Snapshot()
        {
            var files = new Dictionary<string, string>();
            foreach (string root in new[] { Folder, Workspace.TrainedRunIfMade }.OfType<string>())
            {
                foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                {
                    var kind = PathKinds.Of(path);
                    files[path] = kind switch
                    {
                        PathKind.RegularFile => Fingerprint(path),
                        PathKind.SymbolicLink => "link to " + new FileInfo(path).LinkTarget,
                        var other => other.ToString(),
                    };
                }
            }
            return files;
        }

        /// <summary>A file's SHA-256; for the sparse giants of some cases (over 64 MiB), its length and the hash of its first and last MiB.</summary>
        private static string Fingerprint(string path)
        {
            using var file = System.IO.File.OpenRead(path);
            if (file.Length <= 64 << 20)
                return Convert.ToHexString(SHA256.HashData(file));
            var ends = new byte[2 << 20];
            file.ReadExactly(ends, 0, 1 << 20);
            file.Position = file.Length - (1 << 20);
            file.ReadExactly(ends, 1 << 20, 1 << 20);
            return $"{file.Length}:{Convert.ToHexString(SHA256.HashData(ends))}";
        }

        /// <summary>Fails unless every file of <paramref name="before"/> is still there, the same.</summary>
        public void AssertUnchanged(Dictionary<string, string> before)
        {
            var now = Snapshot();
            foreach (var (path, what) in before)
            {
                Assert.True(now.TryGetValue(path, out var after), $"'{path}' is gone");
                Assert.True(after == what, $"'{path}' changed ({what} -> {after})");
            }
        }

        /// <summary>A copy of the shared trained run in this case's folder (cases that change a run change their own).</summary>
        public string CopyOfRun(string name = "run")
        {
            string copy = Directory.CreateDirectory(Path(name)).FullName;
            foreach (string file in Directory.EnumerateFiles(Workspace.TrainedRun).Where(f => !System.IO.Path.GetFileName(f).StartsWith('.')))
                System.IO.File.Copy(file, System.IO.Path.Combine(copy, System.IO.Path.GetFileName(file)));
            return copy;
        }

        /// <summary>A tiny run of its own (32 images, one epoch of two steps) trained from an IDX folder: its data can be changed.</summary>
        public (string Run, string Data) IdxRun(params string[] more)
        {
            string data = IdxFolder();
            string run = Path("idx-run");
            var errors = new StringWriter();
            int code = TrainCommand.Run(new TrainSettings
            {
                Model = "resnet", Dataset = "mnist", DataDirectory = data, Device = Device, Output = run, Epochs = 1, Width = 4, Limit = 32, BatchSize = 16, Plain = true,
            }, TextWriter.Null, errors);
            Assert.True(code == 0, errors.ToString());
            return (run, data);
        }

        /// <summary>Rewrites the run information of a checkpoint file in place (its tensors kept).</summary>
        public static void EditInfo(string checkpoint, Func<string, string> edit)
        {
            Dictionary<string, string> metadata;
            List<SafeTensor> tensors;
            using (var reader = SafeTensorsReader.Open(checkpoint))
            {
                metadata = reader.Metadata.ToDictionary();
                tensors = reader.Tensors.Select(t => reader.Read(t.Name)).ToList();
            }
            metadata["engine.run"] = edit(metadata["engine.run"]);
            SafeTensorsFile.Write(checkpoint, tensors, metadata);
        }

        /// <summary>The resume command line for a copy of a run: one more epoch.</summary>
        public string[] Resume(string run, params string[] more) => Train(["resnet", "--resume", "--epochs", "2", "-o", run, .. more]);
    }
}
