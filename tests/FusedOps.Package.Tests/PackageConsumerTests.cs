using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Package.Tests;

/// <summary>
/// Does what a user does: a new project outside the repository, a PackageReference to the freshly
/// packed FusedOps and nothing else, build with warnings as errors, run.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed class PackageConsumerTests
{
    private readonly PackageFixture _fixture;
    private readonly ITestOutputHelper _output;

    /// <summary>Receives the shared package.</summary>
    public PackageConsumerTests(PackageFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task ConsumerProject_BuildsWithWarningsAsErrorsAndPrintsTheInRepoChecksum()
    {
        PackedPackage package = await _fixture.GetPackageAsync();
        _output.WriteLine($"pack: {package.Pack.Elapsed.TotalSeconds:F1} s ({package.PackagePath})");

        string consumer = Path.Combine(_fixture.TempRoot, "consumer");
        string packages = Path.Combine(_fixture.TempRoot, "consumer-packages");
        Assert.False(TestPaths.IsUnder(consumer, TestPaths.RepoRoot), $"The consumer ({consumer}) must lie outside the repository ({TestPaths.RepoRoot}), or its Directory.*.props would leak in.");
        string sample = Path.Combine(TestPaths.RepoRoot, "samples", "FusedOps.Samples.Aot");
        ConsumerProject.Write(consumer, package, packages, Path.Combine(sample, "Program.cs"), Path.Combine(sample, "Workload.cs"));

        CommandResult build = await ProcessRunner.DotNetAsync(consumer, ProcessRunner.DefaultTimeout, "build", "-c", "Release", "-warnaserror");
        _output.WriteLine($"consumer build: {build.Elapsed.TotalSeconds:F1} s");
        Assert.True(build.Succeeded, build.Describe("The consumer project does not build against the package:"));

        // Restored into its own folder from the local feed alone: FusedOps needs no other package.
        string[] restored = Directory.GetDirectories(packages).Select(Path.GetFileName).ToArray()!;
        Assert.True(restored.SequenceEqual(["fusedops"]), $"Restored packages: [{string.Join(", ", restored)}]; expected only fusedops.");
        Assert.True(Directory.Exists(Path.Combine(packages, "fusedops", package.Version)), $"FusedOps {package.Version} was not restored into {packages}.");

        // The app's output carries the linux-x64 ReadyToRun image next to the IL one (the host picks it by RID).
        if (ReadyToRunImage.MadeOnThisHost)
        {
            string image = Path.Combine(consumer, "bin", "Release", "net10.0", "runtimes", "linux-x64", "lib", "net10.0", "FusedOps.dll");
            Assert.True(File.Exists(image), $"The consumer's output has no {image}.");
            Assert.True(ReadyToRunImage.Read(File.ReadAllBytes(image)).HasNativeCode, $"{image} is not a ReadyToRun image.");
            string deps = File.ReadAllText(Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.deps.json"));
            Assert.True(
                deps.Contains("\"runtimes/linux-x64/lib/net10.0/FusedOps.dll\"", StringComparison.Ordinal) && deps.Contains("\"rid\": \"linux-x64\"", StringComparison.Ordinal),
                $"Consumer.deps.json does not name the linux-x64 image as a runtime target, so the host would not load it:{Environment.NewLine}{deps}");
        }

        CommandResult run = await ProcessRunner.DotNetAsync(consumer, ProcessRunner.DefaultTimeout, "run", "-c", "Release", "--no-build");
        _output.WriteLine($"consumer run: {run.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.Succeeded, run.Describe("The consumer program failed:"));

        string[] expected = InProcessSample.ExpectedOutput();
        string[] actual = InProcessSample.Lines(run.StandardOutput);
        _output.WriteLine(string.Join(Environment.NewLine, actual));
        Assert.True(
            expected.SequenceEqual(actual),
            run.Describe($"The consumer printed other lines than the in-repo build of the same source.{Environment.NewLine}expected:{Environment.NewLine}{string.Join(Environment.NewLine, expected)}"));
    }
}
