#!/bin/sh
# Times the Fashion-MNIST sample's training step (Forward, loss, ZeroGrad, Backward, Adam; batch 64, real batches) built from
# this tree, under the process-wide switches that pick kernel routes, alternating them round by round in one process so that
# machine load hits all alike:
#   base    the defaults
#   b256    KernelOptions.MaxVectorBits = 256 (the Winograd products then run their 256-bit path)
#   nowino  Conv2dTrainer.WinogradEnabled = false (every product on the grid)
#   nowgrad Conv2dTrainer.WinogradWeightGradientEnabled = false (the weight gradients on the grid, the rest as base)
#   chan    WinogradConv.Block = ChannelsInLanes (the 16 -> 16 products on the channels-in-lanes block)
#   rows    WinogradConv.Layout = Rows (the tiles-in-lanes block one tile row at a time, not flat across rows)
#   px400   a second model built with Conv2dTrainer.MinWinogradPixels = 400 (the 16 -> 32 layer on 14 x 14 on the grid)
# Usage: benchmarks/fashion-step-switches.sh [rounds] [steps] [switches] [threads]
# (defaults: 15 20 base,b256,nowino,chan 1). Needs the data in /usr/share/datasets/fashion-mnist (or FASHION_DATA).
# Prints, per switch, the best and median step time (each round: `steps` steps after one untimed step) and images/s.
set -e
rounds=${1:-15}
steps=${2:-20}
switches=${3:-base,b256,nowino,chan}
threads=${4:-1}
data=${FASHION_DATA:-/usr/share/datasets/fashion-mnist}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The harness's own props: it sits outside the tree, so it takes none of the tree's settings.
echo '<Project></Project>' > "$work/Directory.Build.props"
echo '<Project></Project>' > "$work/Directory.Packages.props"
mkdir -p "$work/bench"
cp "$repo/samples/FusedOps.Samples.FashionMnist/FashionNet.cs" "$work/bench/"
cat > "$work/bench/Bench.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TieredPGO>true</TieredPGO>
  </PropertyGroup>
  <ItemGroup>
    <ProjectReference Include="$repo/src/FusedOps/FusedOps.csproj" />
    <ProjectReference Include="$repo/generator/FusedOps.Generator/FusedOps.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
  </ItemGroup>
</Project>
EOF
cat > "$work/bench/Program.cs" <<'EOF'
using System.Diagnostics;
using FusedOps;
using FusedOps.Data;
using FusedOps.Kernels;
using FusedOps.Samples.FashionMnist;
using FusedOps.Training;

int rounds = int.Parse(args[0]), steps = int.Parse(args[1]);
string[] switches = args[2].Split(',');
KernelOptions.MaxDegreeOfParallelism = int.Parse(args[3]);
int widest = KernelOptions.MaxVectorBits;
ImageDataset train = FashionMnist.Load(args[4], train: true);
var model0 = new FashionNet(seed: 1);
var optimizer0 = new Adam(model0.Parameters, 1e-3f);
int minPixels = Conv2dTrainer.MinWinogradPixels;
Conv2dTrainer.MinWinogradPixels = 400;
var model1 = new FashionNet(seed: 1);
var optimizer1 = new Adam(model1.Parameters, 1e-3f);
Conv2dTrainer.MinWinogradPixels = minPixels;
var (model, optimizer) = (model0, optimizer0);
var loader = new MinibatchLoader(train, 64, FashionMnist.Mean, FashionMnist.StandardDeviation, shuffle: true, seed: 1);
var batches = loader.Epoch().Take(40).Select(b => (b.Inputs.ToArray(), b.Labels.ToArray())).ToArray();
float[] logits = new float[64 * FashionNet.OutputLength], gradient = new float[logits.Length];
int next = 0;
var times = switches.ToDictionary(s => s, _ => new List<double>());
foreach (string s in switches)
{
    Apply(s);
    for (int i = 0; i < 30; i++) Step();
}

for (int r = 0; r < rounds; r++)
{
    foreach (string s in switches)
    {
        Apply(s);
        Step();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) Step();
        times[s].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds / steps);
    }
}

foreach (string s in switches)
{
    List<double> t = times[s];
    t.Sort();
    Console.WriteLine($"{s,-8} best {t[0]:F2} ms ({64000 / t[0]:F0} images/s)  median {t[t.Count / 2]:F2} ms ({64000 / t[t.Count / 2]:F0} images/s)");
}

void Apply(string s)
{
    KernelOptions.MaxVectorBits = s == "b256" ? 256 : widest;
    Conv2dTrainer.WinogradEnabled = s != "nowino";
    Conv2dTrainer.WinogradWeightGradientEnabled = s != "nowgrad";
    WinogradConv.Block = s == "chan" ? WinogradBlock.ChannelsInLanes : WinogradBlock.Auto;
    WinogradConv.Layout = s == "rows" ? WinogradTileLayout.Rows : WinogradTileLayout.Auto;
    (model, optimizer) = s == "px400" ? (model1, optimizer1) : (model0, optimizer0);
}

void Step()
{
    (float[] x, int[] y) = batches[next++ % batches.Length];
    model.Forward(x, logits, 64);
    SoftmaxCrossEntropy.Compute(logits, y, 64, gradient);
    model.ZeroGrad();
    model.Backward(gradient, Span<float>.Empty);
    optimizer.Step();
}
EOF
dotnet build "$work/bench" -c Release -o "$work/out" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet "$work/out/Bench.dll" "$rounds" "$steps" "$switches" "$threads" "$data"
