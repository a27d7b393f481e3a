using System;
using System.Globalization;
using FusedOps;
using FusedOps.Samples.Aot;

// Usage: FusedOps.Samples.Aot [maxVectorBits]   (512, 256 or 0; default: the widest this build accelerates)
if (args.Length > 0)
{
    KernelOptions.MaxVectorBits = int.Parse(args[0], NumberStyles.None, CultureInfo.InvariantCulture);
}

// Under NativeAOT this shows what IlcInstructionSet compiled in; under the JIT, what the CPU has.
Console.WriteLine(FormattableString.Invariant($"kernel {KernelOptions.MaxVectorBits} bits"));
Console.WriteLine(Workload.Run());
