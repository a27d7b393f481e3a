using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Package.Tests;

/// <summary>
/// The README's example is a whole program: it is copied verbatim into a consumer project that references
/// the freshly packed package, built with warnings as errors and run. A README edit that breaks it fails here.
/// </summary>
[Collection(PackageCollection.Name)]
public sealed partial class ReadmeExampleTests
{
    private readonly PackageFixture _fixture;
    private readonly ITestOutputHelper _output;

    /// <summary>Receives the shared package.</summary>
    public ReadmeExampleTests(PackageFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task ReadmeExample_BuildsAgainstThePackageAndTrains()
    {
        string program = ExampleBlock(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")));
        PackedPackage package = await _fixture.GetPackageAsync();
        string consumer = Path.Combine(_fixture.TempRoot, "readme-example");
        ConsumerProject.WriteWithProgram(consumer, package, Path.Combine(_fixture.TempRoot, "readme-packages"), program);

        CommandResult build = await ProcessRunner.DotNetAsync(consumer, ProcessRunner.DefaultTimeout, "build", "-c", "Release", "-warnaserror");
        Assert.True(build.Succeeded, build.Describe("The README's example does not build against the package:"));
        CommandResult run = await ProcessRunner.DotNetAsync(consumer, ProcessRunner.DefaultTimeout, "run", "-c", "Release", "--no-build");
        _output.WriteLine(run.StandardOutput);
        Assert.True(run.Succeeded, run.Describe("The README's example failed:"));

        // It trains: the loss of the last step is well below the first one on the fixed batch.
        double[] losses = LossLine().Matches(run.StandardOutput).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(20, losses.Length);
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss went from {losses[0]} to {losses[^1]}; expected it at least to halve");
        Assert.Matches(@"accuracy [01]\.\d\d", run.StandardOutput);
        Assert.True(File.Exists(Path.Combine(consumer, "shapenet.safetensors")), "the example saves its state dict in the working directory");
    }

    [Fact]
    public void ExampleBlock_IsTheFirstCSharpBlockAfterTheExampleHeading()
    {
        const string text = "# T\n```csharp\nnot this\n```\n## Example\nwords\n```csharp\nthis\nand this\n```\n```csharp\nnot this\n```\n";
        Assert.Equal("this\nand this\n", ExampleBlock(text));
        Assert.Throws<InvalidOperationException>(() => ExampleBlock("# no example here\n"));
    }

    /// <summary>The first ```csharp block after the "## Example" heading.</summary>
    private static string ExampleBlock(string readme)
    {
        string text = readme.Replace("\r\n", "\n", StringComparison.Ordinal);
        int heading = text.IndexOf("\n## Example\n", StringComparison.Ordinal);
        int open = heading < 0 ? -1 : text.IndexOf("```csharp\n", heading, StringComparison.Ordinal);
        int close = open < 0 ? -1 : text.IndexOf("\n```", open + 10, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new InvalidOperationException("README.md has no ```csharp block after a '## Example' heading.");
        }

        return text.Substring(open + 10, close - open - 9);
    }

    [GeneratedRegex(@"^step \d+: loss ([0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex LossLine();
}
