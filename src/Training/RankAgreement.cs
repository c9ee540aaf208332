using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Engine.Distributed;

namespace Engine.Training;

/// <summary>
/// Refuses a data-parallel run whose ranks were started differently: each rank hashes (SHA-256)
/// the loop's options, the model it builds, its training and test data (their fingerprints), and the
/// step it starts from; the hashes are gathered and every rank compares them with rank 0's, so
/// all ranks stop at once with the same message naming the first rank and what differs. Where a
/// rank's files live, which device it uses and how it reports are its own (the program's settings
/// that define the run show in its data and model).
/// </summary>
internal static class RankAgreement
{
    private const int HashBytes = 32;

    public static void Check(ICommunicator communicator, TrainingOptions options, string model, DataFingerprint data, long startStep)
    {
        var parts = new (string What, byte[] Hash)[]
        {
            ("training options (every rank needs the same settings)", Hash(JsonSerializer.Serialize(options))),
            ("model", Hash(model)),
            ("training data", Convert.FromHexString(data.Train.Sha256)),
            ("test data", Convert.FromHexString(data.Test.Sha256)),
            ("starting step (a resumed checkpoint)", Hash(startStep.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        };
        byte[] mine = parts.SelectMany(p => p.Hash).ToArray();
        byte[] all = communicator.AllGather(mine);
        for (int rank = 1; rank < communicator.Size; rank++)
        {
            for (int part = 0; part < parts.Length; part++)
            {
                var theirs = all.AsSpan(rank * mine.Length + part * HashBytes, HashBytes);
                if (!theirs.SequenceEqual(all.AsSpan(part * HashBytes, HashBytes)))
                    throw new ArgumentException($"rank {rank} was started with other {parts[part].What} than rank 0; refusing to train.");
            }
        }
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
