using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Package.Tests;

/// <summary>
/// Publishes samples/FusedOps.Samples.Aot with NativeAOT and runs the native binary: no trim or AOT
/// warnings, the Vector256 kernels compiled in (IlcInstructionSet), and the same checksum as the JIT.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed partial class NativeAotTests
{
    // NativeAOT's first publish restores the ILCompiler packages and compiles the whole framework slice.
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    private readonly PackageFixture _fixture;
    private readonly ITestOutputHelper _output;

    /// <summary>Receives the shared scratch space.</summary>
    public NativeAotTests(PackageFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task AotSample_PublishesWithoutWarningsAndMatchesTheJitChecksum()
    {
        Assert.True(
            OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64,
            $"This test publishes for linux-x64; this machine is {RuntimeInformation.RuntimeIdentifier}.");
        NativeToolchain toolchain = NativeToolchain.Detect();
        Assert.True(
            toolchain.Missing.Count == 0,
            "NativeAOT cannot link on this machine. Missing:" + Environment.NewLine + "  - "
            + string.Join(Environment.NewLine + "  - ", toolchain.Missing) + Environment.NewLine
            + "Install with: apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev (.ci/run does this when run as root).");
        _output.WriteLine(toolchain.CompilerOverride is null ? "compiler: clang" : $"compiler: {toolchain.CompilerOverride} (no plain 'clang' on PATH)");

        string project = Path.Combine(TestPaths.RepoRoot, "samples", "FusedOps.Samples.Aot", "FusedOps.Samples.Aot.csproj");
        string publishDirectory = Path.Combine(_fixture.TempRoot, "aot");
        string[] arguments =
        [
            "publish", project, "-c", "Release", "-r", "linux-x64", "-o", publishDirectory, "-warnaserror",
            .. toolchain.PublishArguments,
        ];
        CommandResult publish = await ProcessRunner.DotNetAsync(TestPaths.RepoRoot, PublishTimeout, arguments);
        _output.WriteLine($"publish: {publish.Elapsed.TotalSeconds:F1} s");
        Assert.True(publish.Succeeded, publish.Describe("NativeAOT publish failed:"));

        // Trim (IL2xxx) and AOT (IL3xxx) analysis: -warnaserror already fails on them; say which.
        string[] trimWarnings = TrimOrAotWarning().Matches(publish.AllOutput).Select(m => m.Value).Distinct().ToArray();
        Assert.True(trimWarnings.Length == 0, publish.Describe($"Trim/AOT warnings: {string.Join(", ", trimWarnings)}"));

        string binary = Path.Combine(publishDirectory, "FusedOps.Samples.Aot");
        Assert.True(File.Exists(binary), $"No native executable at {binary}; published: {string.Join(", ", Directory.GetFiles(publishDirectory).Select(Path.GetFileName))}");
        Assert.False(File.Exists(Path.Combine(publishDirectory, "FusedOps.Samples.Aot.dll")), "The publish produced an IL assembly, not a native executable.");

        CommandResult run = await ProcessRunner.RunAsync(binary, [], publishDirectory, ProcessRunner.DefaultTimeout);
        Assert.True(run.Succeeded, run.Describe("The native binary failed:"));
        string[] lines = InProcessSample.Lines(run.StandardOutput);
        _output.WriteLine(string.Join(Environment.NewLine, lines));

        // x86-64-v3 compiles the Vector256 kernels in; a JIT on an AVX-512 machine would say 512.
        Match kernel = KernelLine().Match(lines.FirstOrDefault() ?? "");
        Assert.True(kernel.Success, run.Describe("The first line is not 'kernel N bits':"));
        int bits = int.Parse(kernel.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Avx2.IsSupported && Fma.IsSupported, "This CPU lacks AVX2/FMA (x86-64-v3), so the sample's IlcInstructionSet cannot run here.");
        Assert.True(bits is 256 or 512, run.Describe($"The native binary runs {bits}-bit kernels; IlcInstructionSet=x86-64-v3 should give 256 (0 means the Vector256 code was not compiled in)."));

        // Same source, same kernel width, JIT in this process: the same bits.
        Assert.Equal(InProcessSample.ExpectedOutput(bits), lines);

        // The scalar path too (the sample's argument narrows the kernels), against the JIT's.
        CommandResult scalar = await ProcessRunner.RunAsync(binary, ["0"], publishDirectory, ProcessRunner.DefaultTimeout);
        Assert.True(scalar.Succeeded, scalar.Describe("The native binary failed with scalar kernels:"));
        Assert.Equal(InProcessSample.ExpectedOutput(0), InProcessSample.Lines(scalar.StandardOutput));
    }

    [GeneratedRegex(@"\b(?:warning|error)\s+IL[23]\d{3}\b", RegexOptions.CultureInvariant)]
    private static partial Regex TrimOrAotWarning();

    [GeneratedRegex(@"^kernel (\d+) bits$", RegexOptions.CultureInvariant)]
    private static partial Regex KernelLine();
}
