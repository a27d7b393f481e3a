using System;
using BenchmarkDotNet.Running;
using FusedOps.Benchmarks;

// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --quick     (Stopwatch, < 1 minute)
// dotnet run -c Release --project benchmarks/FusedOps.Benchmarks -- --filter '*' (BenchmarkDotNet)
if (Array.IndexOf(args, "--quick") >= 0)
{
    return QuickBenchmark.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(Workload).Assembly).Run(args);
return 0;
