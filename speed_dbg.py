import asyncio, os, sys, time
from tests.bench import bench_throughput as b
from tests.bench.support import percentile

async def main():
    rate = float(sys.argv[1]); floor = sys.argv[2] == "floor"; backend = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
    secs = float(os.environ.get("SECS", "4"))
    async with b.bench_database(backend) as db:
        tools = await b._tools(db.url)
        async def run(h, bots):
            prof = None
            if os.environ.get("PROFILE"):
                prof = await asyncio.create_subprocess_exec(".venv/bin/py-spy", "record", "-f", "raw", "-o", os.environ["PROFILE"], "-d", str(int(secs) - 1), "-r", "100", "--pid", str(bots[0].pid), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            t = time.perf_counter(); c0 = b.cpu_seconds(bots[0].pid); g0 = time.process_time()
            s = await b.drive(h, rate, secs)
            print("elapsed", time.perf_counter()-t, "sent", s.sent, "errors", s.errors, s.why[:2])
            print("bot cpu ms/interaction", (b.cpu_seconds(bots[0].pid)-c0)*1000/s.sent, "generator", (time.process_time()-g0)*1000/s.sent)
            for name in ("discord", "slack_ack", "slack_card"):
                ms = [x*1000 for x in getattr(s, name)]
                print(name, len(ms), round(percentile(ms, 50),1), round(percentile(ms, 99),1))
            if prof: await prof.wait()
        tb = await b._session(db.url, tools, floor=floor, processes=1, run=run)
        print("tracebacks", tb)
asyncio.run(main())
