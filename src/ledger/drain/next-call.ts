// Which due call the drain sends next: the lanes and groups with pending calls, kept in memory between
// scans, the due head of each group, and whose turn it is (calls/lanes.ts decides among the heads). The turn
// moves only when a call really goes out (served), not each time the drain looks.
import { chooseNext, type Head, LANES, type Lane, laneGroupKey, type Turns } from "../calls/lanes";
import { type DueCall, dueHead, pendingGroups } from "../calls/queue";

/** How often the drain rescans the groups with pending calls (commits tell it theirs at once). */
const GROUPS_RESCAN_MS = 1000;

export type LaneGroup = { lane: Lane; group: string };

export class NextCall {
  /**
   * The lanes and groups with pending calls: commits add theirs (note), and a scan every GROUPS_RESCAN_MS
   * drops the emptied ones and catches anything else (a retry re-queued, a resolution).
   */
  private groups = new Map<string, LaneGroup>();
  private groupsScannedAt = Number.NEGATIVE_INFINITY;
  /** Whose turn it is in each lane. */
  private turns: Turns = {};

  constructor(private readonly sql: SqlStorage) {}

  /** Calls were queued in these groups: they are served from the next look, without a scan. */
  note(groups: Iterable<LaneGroup>): void {
    for (const entry of groups) this.groups.set(laneGroupKey(entry.lane, entry.group), entry);
  }

  /**
   * The call to send next, and the turns once it is sent; null when nothing is due. `planFollowUps` queues
   * follow-ups and answers their groups: it is asked only when no lane, the follow-up lane included, has
   * a call due, so follow-ups get the pace no revocation is waiting for. Calls at the targets in `waiting`
   * are passed over (their token has no pace to spare now): the lanes' order holds among the others.
   */
  choose(
    now: number,
    inFlight: ReadonlySet<string>,
    planFollowUps: () => LaneGroup[],
    waiting: readonly string[] = [],
  ): { call: DueCall; turns: Turns } | null {
    if (now - this.groupsScannedAt >= GROUPS_RESCAN_MS) {
      this.groups = new Map(pendingGroups(this.sql).map((entry) => [laneGroupKey(entry.lane, entry.group), entry]));
      this.groupsScannedAt = now;
    }
    // Lanes are strict (calls/lanes.ts): a later lane's heads are read only when no earlier lane has one due,
    // so follow-ups waiting behind a layoff cost the drain nothing per call.
    for (const lane of LANES) {
      let choice = this.chooseIn(lane, now, inFlight, waiting);
      if (!choice && lane === "follow_up" && this.planned(planFollowUps)) choice = this.chooseIn(lane, now, inFlight, waiting);
      if (choice) return { call: choice.head.call, turns: choice.turns };
    }
    // Nothing due in the groups known: scan again next time (one may have appeared another way).
    if (waiting.length === 0) this.groupsScannedAt = Number.NEGATIVE_INFINITY;
    return null;
  }

  /** The call chosen went out: the turn moves past its group. */
  served(turns: Turns): void {
    this.turns = turns;
  }

  private planned(planFollowUps: () => LaneGroup[]): boolean {
    const queued = planFollowUps();
    this.note(queued);
    return queued.length > 0;
  }

  private chooseIn(lane: Lane, now: number, inFlight: ReadonlySet<string>, waiting: readonly string[]) {
    const heads: Head<DueCall>[] = [];
    for (const entry of this.groups.values()) {
      if (entry.lane !== lane) continue;
      const call = dueHead(this.sql, lane, entry.group, now, inFlight, waiting);
      if (call) heads.push({ lane, group: entry.group, call });
    }
    return chooseNext(heads, this.turns);
  }
}
