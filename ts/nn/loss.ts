// The base of every `nn.*Loss` class: options validated once in the constructor (errors name
// the class), `forward` delegating to the functional form (as torch's `_Loss`).

export abstract class Loss<O extends object, C extends object = Required<O>> {
  /** The validated options, with defaults filled in. */
  readonly options: Readonly<C>;

  protected constructor(options: O | undefined, validate: (o: O | undefined, fn: string) => C) {
    this.options = Object.freeze(validate(options, this.constructor.name));
  }
}
