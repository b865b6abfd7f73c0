namespace Cortex1.Synth.Generation;

/// <summary>
/// FNV-1a over a string: the same number in every process and on every machine (string.GetHashCode
/// and HashCode are randomised per process), so seeds and keys derived from it are reproducible.
/// </summary>
public static class StableHash
{
    public static int Of(string text)
    {
        unchecked
        {
            var h = 2166136261u;
            foreach (var ch in text) h = (h ^ ch) * 16777619u;
            return (int)(h & 0x7fffffff);
        }
    }

    /// <summary>A short hex digest of a text (SHA-256, first 16 hex digits), for duplicate detection.</summary>
    public static string Digest(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
}
