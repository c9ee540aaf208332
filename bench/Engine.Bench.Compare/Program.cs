using Engine.Bench.Compare;

// bench/Engine.Bench.Compare RUN_FOLDER: reads RUN_FOLDER/engine and RUN_FOLDER/peer (BenchmarkDotNet
// results) and RUN_FOLDER/{engine,peer}-memory.tsv, and prints the comparison as Markdown.
if (args.Length != 1 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: Engine.Bench.Compare RUN_FOLDER (made by bench/compare.sh)");
    return 2;
}
Console.Write(ComparisonReport.Build(args[0]));
return 0;
