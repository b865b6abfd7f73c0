using Cortex1.TestSupport;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Remote;

namespace Cortex1.Web.Tests;

/// <summary>
/// Debian's headless chromium, driven through Debian's chromedriver. The driver runs as a test-run server (a
/// <see cref="ServerProcess"/> on a free 127.0.0.1 port) and Selenium talks to it as a remote driver, so Selenium Manager
/// never runs and nothing is downloaded. The browser's profile lives in the server's folder; stopping the server (at the
/// end, or by its watchdog if the test host dies) ends chromedriver and then every process still using that profile, so
/// no chromium outlives the run.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    public const string ChromeDriver = "/usr/bin/chromedriver";

    // The profile path is in the environment, not in this script's arguments, so the sweep never matches the script itself.
    private const string DriverScript = """
        "$CORTEX1_CHROMEDRIVER" --port="$1" --log-level=WARNING & driver=$!
        stop() {
          kill "$driver" 2>/dev/null; wait "$driver" 2>/dev/null
          for p in /proc/[0-9]*; do
            grep -qzF -- "$CORTEX1_BROWSER_PROFILE" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
          done
          exit 0
        }
        trap stop TERM INT
        wait "$driver"
        stop
        """;

    private readonly ServerProcess _driverProcess;

    public IWebDriver Driver { get; }

    public Browser()
    {
        if (!File.Exists(Chromium) || !File.Exists(ChromeDriver))
            throw new InvalidOperationException($"{Chromium} and {ChromeDriver} are needed: run eng/prereqs.sh (apt-get install chromium chromium-driver).");
        var dir = TestRun.Folder($"chromium-{Guid.NewGuid():N}");
        var profile = Path.Combine(dir, "profile");
        var port = Ports.Free();
        _driverProcess = new ServerProcess("env", [$"CORTEX1_CHROMEDRIVER={ChromeDriver}", $"CORTEX1_BROWSER_PROFILE={profile}",
            "bash", "-c", DriverScript, "chromedriver", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], dir);
        var url = new Uri($"http://127.0.0.1:{port}/");
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) })
            _driverProcess.WaitUntilAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync(new Uri(url, "status"))).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "chromedriver").GetAwaiter().GetResult();

        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
            "--window-size=1280,900", "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update", "--disable-breakpad", "--disable-crash-reporter",
            "--disable-features=Translate,MediaRouter,OptimizationHints", "--password-store=basic");
        try
        {
            Driver = new RemoteWebDriver(url, options);
        }
        catch
        {
            _driverProcess.Dispose();
            throw;
        }
    }

    /// <summary>Polls <paramref name="condition"/> (a page can change between two reads) until it holds. The bound is for
    /// a loaded CI machine (on two busy cores the tiny model writes a few tokens a second); an idle one takes a second.</summary>
    public T WaitFor<T>(Func<IWebDriver, T?> condition, string what, double seconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (condition(Driver) is { } value && !Equals(value, false)) return value;
            }
            catch (Exception e) when (e is WebDriverException or InvalidOperationException)
            {
                last = e;
            }
            Thread.Sleep(25);
        }
        throw new TimeoutException($"The page never showed {what}. Status: '{Text("status")}'. {last?.Message}");
    }

    public string Text(string id)
    {
        try
        {
            return Driver.FindElement(By.Id(id)).Text;
        }
        catch (WebDriverException)
        {
            return "";
        }
    }

    /// <summary>With CORTEX1_WEB_SCREENSHOTS set to a folder, saves what the page looks like now as {name}.png there (for
    /// looking at the page after a change; the tests assert on the page's content, not its pixels).</summary>
    public void Screenshot(string name)
    {
        if (Environment.GetEnvironmentVariable("CORTEX1_WEB_SCREENSHOTS") is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        ((ITakesScreenshot)Driver).GetScreenshot().SaveAsFile(Path.Combine(folder, name + ".png"));
    }

    public object? Script(string script, params object[] args) => ((IJavaScriptExecutor)Driver).ExecuteScript(script, args);

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        catch (WebDriverException)
        {
            // the server's stop below ends whatever is left
        }
        Driver.Dispose();
        _driverProcess.Dispose();
    }
}
