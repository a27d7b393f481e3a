using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Every descriptor the generator can report is documented and release-tracked: its help link is an
/// anchor that GitHub renders from a heading in docs/diagnostics.md, and AnalyzerReleases.Unshipped.md
/// lists it with its category and severity. The files are read from the repository, found by walking
/// up from the test binaries to FusedOps.sln.
/// </summary>
public sealed class DiagnosticDescriptorTests
{
    private const string HelpBase = "https://github.com/fusedops/fusedops/blob/main/docs/diagnostics.md#";

    /// <summary>Every public static descriptor field, read by reflection: the type is internal to the generator.</summary>
    private static readonly DiagnosticDescriptor[] s_descriptors =
    [
        .. typeof(FusedPipelineGenerator).Assembly
            .GetType("FusedOps.Generator.Diagnostics.DiagnosticDescriptors", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Id, StringComparer.Ordinal),
    ];

    public static TheoryData<string> Ids => [.. s_descriptors.Select(d => d.Id)];

    [Fact]
    public void Descriptors_AreFoundWithUniqueIdsInOneCategory()
    {
        // FOPS0001-FOPS0020 and FOPS0099; a failed reflection lookup would make every other test vacuous.
        Assert.Equal(21, s_descriptors.Length);
        Assert.Equal(s_descriptors.Length, s_descriptors.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(s_descriptors, d => Assert.Matches("^FOPS[0-9]{4}$", d.Id));
        Assert.All(s_descriptors, d => Assert.Equal("FusedOps", d.Category));
        Assert.All(s_descriptors, d => Assert.True(d.IsEnabledByDefault, d.Id));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void HelpLink_IsAHeadingAnchorInDiagnosticsMd(string id)
    {
        DiagnosticDescriptor descriptor = s_descriptors.Single(d => d.Id == id);

        Assert.StartsWith(HelpBase, descriptor.HelpLinkUri, StringComparison.Ordinal);
        string anchor = descriptor.HelpLinkUri[HelpBase.Length..];
        Assert.Equal(id.ToLowerInvariant(), anchor);
        HashSet<string> anchors = [.. Headings().Select(GitHubAnchor)];
        Assert.True(anchors.Contains(anchor), $"docs/diagnostics.md has no heading with anchor #{anchor}; anchors: {string.Join(", ", anchors.Order(StringComparer.Ordinal))}");
    }

    [Fact]
    public void DiagnosticsMd_HasNoEntryForAnUnknownId()
    {
        var known = s_descriptors.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        string[] documented = [.. Headings().Where(h => h.StartsWith("FOPS", StringComparison.Ordinal))];

        Assert.Equal(known.Count, documented.Length);
        Assert.All(documented, h => Assert.Contains(h, known));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Id_IsInAnalyzerReleasesUnshippedWithCategoryAndSeverity(string id)
    {
        DiagnosticDescriptor descriptor = s_descriptors.Single(d => d.Id == id);
        string[][] rows = [.. UnshippedRules().Where(r => r[0] == id)];

        string[] row = Assert.Single(rows);
        Assert.Equal(descriptor.Category, row[1]);
        Assert.Equal(descriptor.DefaultSeverity.ToString(), row[2]);
    }

    /// <summary>The text of every <c>## </c> heading in docs/diagnostics.md.</summary>
    private static IEnumerable<string> Headings() =>
        File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"))
            .Where(l => l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => l[3..].Trim());

    /// <summary>The anchor GitHub renders for a heading: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static string GitHubAnchor(string heading)
    {
        var anchor = new StringBuilder();
        foreach (char c in heading.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                anchor.Append(c);
            }
            else if (c == ' ')
            {
                anchor.Append('-');
            }
        }

        return anchor.ToString();
    }

    /// <summary>The table rows (<c>Rule ID | Category | Severity | Notes</c>) of AnalyzerReleases.Unshipped.md, cells trimmed.</summary>
    private static IEnumerable<string[]> UnshippedRules() =>
        File.ReadAllLines(Path.Combine(RepositoryRoot(), "generator", "FusedOps.Generator", "AnalyzerReleases.Unshipped.md"))
            .Where(l => l.StartsWith("FOPS", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray());

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FusedOps.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find FusedOps.sln above {AppContext.BaseDirectory}.");
    }
}
