#!/bin/sh
# Times one training step (ZeroGrad + Forward + Backward) of the off-grid convolutions of compare-conv-training.sh (stride 2
# + GELU, stride 2 + BatchNorm + GELU, depthwise + GELU) at 1 and 2 threads (KernelOptions.MaxDegreeOfParallelism),
# alternating the two round by round in one process, and prints per round the median and 10th percentile, then per case
# the fastest step at each thread count and their ratio. The checksums must agree (the parts give the same bits).
# Usage: benchmarks/offgrid-training-threads.sh [batch] [steps] [rounds]   (defaults: 8 300 4)
set -e
batch=${1:-8}
steps=${2:-300}
rounds=${3:-4}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo '<Project></Project>' > "$work/Directory.Build.props"
echo '<Project></Project>' > "$work/Directory.Packages.props"
cat > "$work/Bench.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$repo/src/FusedOps/FusedOps.csproj" />
    <ProjectReference Include="$repo/generator/FusedOps.Generator/FusedOps.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
EOF
cat > "$work/Program.cs" <<'EOF'
using System.Diagnostics;
using FusedOps;

int batch = int.Parse(args[0]), steps = int.Parse(args[1]), rounds = int.Parse(args[2]);
foreach (string which in new[] { "gelu", "bn", "dw" })
{
    IFusedModel net = which switch { "bn" => new StridedBnGelu(1), "dw" => new DepthwiseGelu(1), _ => new StridedGelu(1) };
    var random = new Random(1);
    float[] x = new float[batch * net.InputLength], y = new float[batch * net.OutputLength], g = new float[y.Length];
    for (int i = 0; i < x.Length; i++) x[i] = (random.NextSingle() * 2) - 1;
    for (int i = 0; i < g.Length; i++) g[i] = (random.NextSingle() * 2) - 1;
    var fastest = new double[] { double.MaxValue, double.MaxValue, double.MaxValue };
    for (int round = 1; round <= rounds; round++)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            KernelOptions.MaxDegreeOfParallelism = threads;
            var times = new List<double>();
            for (int i = -10; i < steps; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                net.ZeroGrad();
                net.Forward(x, y, batch);
                net.Backward(g, Span<float>.Empty);
                if (i >= 0) times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }

            times.Sort();
            fastest[threads] = Math.Min(fastest[threads], times[0]);
            Console.WriteLine($"{which} batch {batch}, {threads} thread(s), round {round}: median {times[times.Count / 2]:F3} ms  p10 {times[times.Count / 10]:F3} ms  checksum {y.Sum():R}");
        }
    }

    Console.WriteLine($"{which}: fastest step 1 thread {fastest[1]:F3} ms, 2 threads {fastest[2]:F3} ms, ratio {fastest[1] / fastest[2]:F2}");
}

[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Stride = 2, Padding = 1)]
[GELU]
public partial class StridedGelu { }

[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm]
[GELU]
public partial class StridedBnGelu { }

[FusedPipeline(32, 32, 32)]
[Conv2d(32, 3, Padding = 1, Groups = 32)]
[GELU]
public partial class DepthwiseGelu { }
EOF
dotnet build "$work" -c Release -o "$work/out" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet "$work/out/Bench.dll" "$batch" "$steps" "$rounds"
