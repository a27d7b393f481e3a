using System;
using BenchmarkDotNet.Running;
using FusedOps.Benchmarks;

// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick            (Stopwatch, about a minute: kernels, then the generator)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick kernels    (the kernel tables only)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick generator  (the source generator only)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --filter '*'       (BenchmarkDotNet)
int quick = Array.IndexOf(args, "--quick");
if (quick >= 0)
{
    string part = quick + 1 < args.Length && !args[quick + 1].StartsWith('-') ? args[quick + 1] : "all";
    if (part is not ("all" or "kernels" or "generator"))
    {
        Console.Error.WriteLine($"--quick {part}: expected nothing, 'kernels' or 'generator'");
        return 2;
    }

    // Exit code 1 if the kernels miss the floor or the generator's check fails.
    var total = System.Diagnostics.Stopwatch.StartNew();
    int exit = part is "all" or "kernels" ? QuickBenchmark.Run() : 0;
    if (part is "all" or "generator" && !QuickGenerator.Run())
    {
        exit = 1;
    }

    Console.WriteLine($"Total {total.Elapsed.TotalSeconds:F1} s.");
    return exit;
}

BenchmarkSwitcher.FromAssembly(typeof(Workload).Assembly).Run(args);
return 0;
