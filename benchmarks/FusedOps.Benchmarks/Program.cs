using System;
using System.Linq;
using BenchmarkDotNet.Running;
using FusedOps.Benchmarks;

// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick            (Stopwatch, a minute or two: the five cases, then the generator)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick kernels    (the five cases only)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick kernels --case M    (some of the five cases, comma-separated, and nothing else)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick linear     (the Linear kernels alone)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick mlp        (the LayerNorm + GELU MLP only)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick cnn        (case P, a CNN with MaxPool, and the Fashion convolutions)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick generator  (the source generator only)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick first-calls  (the first calls only: fresh processes for FusedOps, ORT and a control)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick maxout     (the fused Maxouts against their own passes)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick kernels --bits 128   (FusedOps at most 128-bit vectors: 512, 256, 128 or 0; peers unchanged)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --filter '*'       (BenchmarkDotNet)
int firstCall = Array.IndexOf(args, "--first-call");
if (firstCall >= 0 && firstCall + 1 < args.Length)
{
    return FirstCalls.Child(args[firstCall + 1], firstCall + 2 < args.Length ? args[firstCall + 2] : FirstCalls.Subject.Fused.ToString()); // the fresh process QuickBenchmark starts to time first calls
}

int quick = Array.IndexOf(args, "--quick");
if (quick >= 0)
{
    int bitsAt = Array.IndexOf(args, "--bits");
    if (bitsAt >= 0)
    {
        if (bitsAt + 1 >= args.Length || !int.TryParse(args[bitsAt + 1], out int bits) || bits is not (512 or 256 or 128 or 0))
        {
            Console.Error.WriteLine($"--bits: expected 512, 256, 128 or 0, got '{(bitsAt + 1 < args.Length ? args[bitsAt + 1] : "")}'");
            return 2;
        }

        FusedOps.KernelOptions.MaxVectorBits = bits;
    }

    string part = quick + 1 < args.Length && !args[quick + 1].StartsWith('-') ? args[quick + 1] : "all";
    if (part is not ("all" or "kernels" or "linear" or "mlp" or "cnn" or "generator" or "first-calls" or "maxout"))
    {
        Console.Error.WriteLine($"--quick {part}: expected nothing, 'kernels', 'linear', 'mlp', 'cnn', 'generator', 'first-calls' or 'maxout'");
        return 2;
    }

    if (part == "maxout")
    {
        QuickMaxout.Run();
        return 0;
    }

    if (part == "linear")
    {
        KernelTable.Run(FmaPeak.Vector512GigaFlops() is > 0 and var p512 && FusedOps.KernelOptions.MaxVectorBits >= 512 ? p512 : FmaPeak.Vector256GigaFlops());
        return 0;
    }

    if (part == "first-calls")
    {
        QuickBenchmark.PrintFirstCalls();
        return 0;
    }

    int cases = Array.IndexOf(args, "--case");
    if (cases >= 0)
    {
        string[] ids = cases + 1 < args.Length ? args[cases + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
        if (part != "kernels" || ids.Length == 0 || Array.Exists(ids, id => !Workload.CaseIds.Contains(id)))
        {
            Console.Error.WriteLine($"--case: expected '--quick kernels --case' and some of {string.Join(", ", Workload.CaseIds)}, comma-separated");
            return 2;
        }

        return QuickBenchmark.Run(ids);
    }

    // Exit code 1 if an output disagrees with the reference or the generator's caching check fails.
    var total = System.Diagnostics.Stopwatch.StartNew();
    int exit = part is "all" or "kernels" ? QuickBenchmark.Run() : 0;
    exit = part is "all" or "kernels" or "mlp" && !QuickMlp.Run() ? 1 : exit;
    exit = part is "all" or "kernels" or "cnn" ? Math.Max(exit, CnnPoolBenchmark.Run()) : exit;
    if (part is "all" or "generator" && !QuickGenerator.Run())
    {
        exit = 1;
    }

    Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F1} s.");
    return exit;
}

BenchmarkSwitcher.FromAssembly(typeof(Workload).Assembly).Run(args);
return 0;
