// The base of every `nn.*Loss` class: options validated once in the constructor, `forward`
// delegating to the functional form (as torch's `_Loss`).

export abstract class Loss<O extends object> {
  /** The validated options, with defaults filled in. */
  readonly options: Readonly<Required<O>>;

  protected constructor(options: O | undefined, validate: (o: O | undefined, fn: string) => Required<O>) {
    this.options = Object.freeze(validate(options, this.constructor.name));
  }
}
