#!/bin/sh
# Times one training step (Forward + Backward, batch 8) of three small pipelines built from two revisions of this
# repository, alternating the two builds round by round in one run so that machine load hits both alike:
#   gelu: Conv2d 16->32 3x3 stride 2 padding 1 + GELU on 16x32x32
#   bn:   the same conv (no bias) + BatchNorm + GELU
#   dw:   a depthwise Conv2d 32->32 3x3 (32 groups) + GELU on 32x32x32
# Usage: benchmarks/compare-conv-training.sh [before-rev] [after-rev] [steps] [rounds] [threads]
# (defaults: main HEAD 1000 4 2). Prints, per build and round, the median and 10th percentile of the step times and
# the process CPU time per step; the outputs' checksums must agree between the builds.
set -e
before=${1:-main}
after=${2:-HEAD}
steps=${3:-1000}
rounds=${4:-4}
threads=${5:-2}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The harness's own props: it sits outside both trees, so it takes neither tree's settings.
echo '<Project></Project>' > "$work/Directory.Build.props"
echo '<Project></Project>' > "$work/Directory.Packages.props"
for side in before after; do
  rev=$before
  [ "$side" = after ] && rev=$after
  mkdir -p "$work/$side/src" "$work/$side/bench"
  git -C "$repo" archive "$rev" | tar -x -C "$work/$side/src"
  cat > "$work/$side/bench/Bench.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$work/$side/src/src/FusedOps/FusedOps.csproj" />
    <ProjectReference Include="$work/$side/src/generator/FusedOps.Generator/FusedOps.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
EOF
  cat > "$work/$side/bench/Program.cs" <<'EOF'
using System.Diagnostics;
using FusedOps;

const int batch = 8;
int steps = int.Parse(args[0]);
string which = args[1];
KernelOptions.MaxDegreeOfParallelism = int.Parse(args[2]);
IFusedModel net = which switch { "bn" => new StridedBnGelu(1), "dw" => new DepthwiseGelu(1), _ => new StridedGelu(1) };
var random = new Random(1);
float[] x = new float[batch * net.InputLength], y = new float[batch * net.OutputLength], g = new float[y.Length];
for (int i = 0; i < x.Length; i++) x[i] = (random.NextSingle() * 2) - 1;
for (int i = 0; i < g.Length; i++) g[i] = (random.NextSingle() * 2) - 1;
for (int i = 0; i < 20; i++) { net.Forward(x, y, batch); net.ZeroGrad(); net.Backward(g, Span<float>.Empty); }
var times = new List<double>();
TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
for (int i = 0; i < steps; i++)
{
    long t0 = Stopwatch.GetTimestamp();
    net.Forward(x, y, batch);
    net.Backward(g, Span<float>.Empty);
    times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
}
double cpuPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / steps;
times.Sort();
Console.WriteLine($"{which}: median {times[times.Count / 2]:F3} ms  p10 {times[times.Count / 10]:F3} ms  CPU {cpuPerStep:F3} ms/step  checksum {y.Sum():R}");

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
  dotnet build "$work/$side/bench" -c Release -o "$work/$side/out" > "$work/$side/build.log" 2>&1 || { cat "$work/$side/build.log"; exit 1; }
done
for case in gelu bn dw; do
  for round in $(seq 1 "$rounds"); do
    for side in before after; do
      printf '%s (%s) round %s: ' "$side" "$([ "$side" = before ] && echo "$before" || echo "$after")" "$round"
      dotnet "$work/$side/out/Bench.dll" "$steps" "$case" "$threads"
    done
  done
done
