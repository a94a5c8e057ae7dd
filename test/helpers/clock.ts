/** A clock tests can set, passed wherever production code takes `now`. */
export class FakeClock {
  private current: Date;

  constructor(iso: string) {
    this.current = new Date(iso);
  }

  readonly now = (): Date => new Date(this.current.getTime());

  set(iso: string): void {
    this.current = new Date(iso);
  }

  advanceSeconds(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
